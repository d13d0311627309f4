package vtl_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/mapping/vtl"
)

// vars is a Globals over a map; values are fresh per test so templates
// that mutate them do not leak into other cases.
type vars map[string]any

func (v vars) Global(name string) any { return v[name] }

func fixture() vars {
	m := vtl.NewMap(3)
	m.Put("name", "Ann")
	m.Put("age", int64(42))
	m.Put("tags", vtl.NewList("a", "b"))
	doc, _ := vtl.FromJSON(`{"items":[{"id":1,"ok":true},{"id":2,"ok":false}],"empty":[],"price":1.5,"nested":{"k":"v"}}`)
	return vars{
		"s":      "hello",
		"n":      int64(7),
		"f":      2.5,
		"t":      true,
		"list":   vtl.NewList(int64(1), int64(2), int64(3)),
		"m":      m,
		"doc":    doc,
		"empty":  "",
		"spaced": "  pad  ",
		"uni":    "héllo😀!",
	}
}

func render(t *testing.T, tmpl string, g vtl.Globals) (string, error) {
	t.Helper()
	tp, err := vtl.Parse(tmpl)
	if err != nil {
		return "", err
	}
	return tp.Render(g, vtl.DefaultLimits)
}

type renderCase struct{ name, tmpl, want string }

func runCases(t *testing.T, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := render(t, tc.tmpl, fixture())
		if err != nil {
			t.Errorf("%s: %q failed: %v", tc.name, tc.tmpl, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: %q rendered %q, want %q", tc.name, tc.tmpl, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	runCases(t, []renderCase{
		{"plain", "no references", "no references"},
		{"empty", "", ""},
		{"lone dollar", "$ $$ a$ $5.00 $!", "$ $$ a$ $5.00 $!"},
		{"lone hash", "# #1 #ffffff #{ #{x", "# #1 #ffffff #{ #{x"},
		{"unknown directive is text", "#foo(bar) #elsewhere", "#foo(bar) #elsewhere"},
		{"line comment eats its newline", "a## note\nb", "ab"},
		{"line comment at end", "a## note", "a"},
		{"line comment CRLF", "a##x\r\nb", "ab"},
		{"block comment", "a#* any $thing #if *#b", "ab"},
		{"block comment keeps newline after", "a#* c *#\nb", "a\nb"},
		{"unparsed block", "#[[ $s #if ]]#", " $s #if "},
		{"escaped reference", `\$s`, "$s"},
		{"escaped braced reference", `\${s}`, "${s}"},
		{"double backslash renders one and the value", `\\$s`, `\hello`},
		{"three backslashes", `\\\$s`, `\$s`},
		{"escaped undefined reference", `\$nothing`, "$nothing"},
		{"escaped directive", `\#if($t)x\#end`, "#if(true)x#end"},
		{"double-escaped directive runs", `\\#if($t)x#end`, `\x`},
		{"backslash elsewhere", `a\b \n`, `a\b \n`},
	})
}

func TestReferences(t *testing.T) {
	runCases(t, []renderCase{
		{"simple", "$s", "hello"},
		{"braced", "${s}world", "helloworld"},
		{"quiet", "$!s $!{s}", "hello hello"},
		{"undefined renders empty", "[$nope|$!nope|${nope}|$!{nope}]", "[|||]"},
		{"property of undefined", "[$nope.a.b]", "[]"},
		{"method on undefined", "[$nope.size()]", "[]"},
		{"map property", "$m.name is $m.age", "Ann is 42"},
		{"missing map property", "[$m.nope]", "[]"},
		{"dot not followed by letter", "$n.5 $s. $s.", "7.5 hello. hello."},
		{"index", "$list[0]$list[-1] $m['name'] $m[\"age\"]", "13 Ann 42"},
		{"index expression", "#set($i = 1)$list[$i]", "2"},
		{"chain", "$doc.items[1].id $doc.nested.k", "2 v"},
		{"method chain", "$s.toUpperCase().substring(1, 3)", "EL"},
		{"hyphen is part of a name (Velocity 1.7)", "#set($a-b = 'x')$a-b [$s-]", "x []"},
		{"reference then text", "$s!", "hello!"},
		{"is-getter property", "$empty.empty $s.empty $list.empty", "true false false"},
		{"braced method", "${s.length()}", "5"},
	})
}

func TestRendering(t *testing.T) {
	runCases(t, []renderCase{
		{"numbers", "$n|$f|#set($x = 1.0)$x|#set($y = 10000000.0)$y|#set($z = 0.0001)$z", "7|2.5|1.0|1.0E7|1.0E-4"},
		{"booleans", "$t|#set($b = false)$b", "true|false"},
		{"template list renders as Java", "$list|#set($l = ['a', 1, true])$l", "[1, 2, 3]|[a, 1, true]"},
		{"map renders as Java", "$m", "{name=Ann, age=42, tags=[a, b]}"},
		{"JSON list renders as JSON", "$doc.items", `[{"id":1,"ok":true},{"id":2,"ok":false}]`},
		{"JSON map renders as Java with JSON lists", "$doc.nested $doc", `{k=v} {items=[{"id":1,"ok":true},{"id":2,"ok":false}], empty=[], price=1.5, nested={k=v}}`},
		{"null inside a list", "#set($l = [$nope, 1])$l", "[null, 1]"},
	})
}

func TestSet(t *testing.T) {
	runCases(t, []renderCase{
		{"simple", "#set($x = 5)$x", "5"},
		{"spaces", "#set( $x   =   'a' )$x", "a"},
		{"braced", "#{set}($x = 1)$x", "1"},
		{"reassign", "#set($x = 1)#set($x = $x + 1)$x", "2"},
		{"null leaves the variable unchanged", "#set($x = 1)#set($x = $nope)$x", "1"},
		{"null leaves undefined undefined", "#set($x = $nope)[$x]", "[]"},
		{"map property", "#set($m.name = 'Bob')$m.name", "Bob"},
		{"new map key", "#set($m.city = 'Oslo')$m.city", "Oslo"},
		{"map index", "#set($m['k'] = 1)$m.k", "1"},
		{"list index", "#set($list[1] = 9)$list", "[1, 9, 3]"},
		{"property of null is a no-op", "#set($nope.a = 1)[$nope]", "[]"},
		{"shadows a global", "#set($s = 'bye')$s", "bye"},
		{"aliasing like Java", "#set($a = [])#set($b = $a)$b.add(1)$a", "true[1]"},
	})
}

func TestWhitespace(t *testing.T) {
	runCases(t, []renderCase{
		// #set eats the spaces and tabs before it and, with its ')', the
		// newline after it.
		{"indented set line vanishes", "a\n    #set($x = 1)\nb", "a\nb"},
		{"set mid-line", "a #set($x = 1) b", "a b"},
		{"if lines: indentation stays, newlines after ) and #end go", "[\n  #if($t)\n  x\n  #end\n]", "[\n    x\n  ]"},
		{"else line", "#if($nope)\na\n#else\nb\n#end\n", "b\n"},
		{"trailing spaces before the newline are eaten", "#if($t)   \nx#end   \ny", "xy"},
		{"no newline: nothing else eaten", "#if($t) x #end z", " x  z"},
		{"foreach", "#foreach($i in [1..2])\n$i\n#end\n", "1\n2\n"},
		{"CRLF", "#if($t)\r\nx\r\n#end\r\ny", "x\r\ny"},
		{"braced else", "#if($nope)a#{else}b#{end}c", "bc"},
	})
}

func TestIf(t *testing.T) {
	runCases(t, []renderCase{
		{"true", "#if($t)yes#end", "yes"},
		{"false", "#if(!$t)yes#end", ""},
		{"else", "#if($nope)a#else b#end", " b"},
		{"elseif chain", "#foreach($x in [1, 2, 3])#if($x == 1)one#elseif($x == 2)two#{else}many#end #end", "one two many "},
		{"empty string is true (1.7)", "#if($empty)yes#end", "yes"},
		{"zero is true", "#if(0)yes#end", "yes"},
		{"null is false", "#if($nope)yes#else no#end", " no"},
		{"space before paren", "#if ($t)yes#end", "yes"},
		{"nested", "#if($t)#if($nope)a#else b#end#end", " b"},
		{"directive in expression position", "#if($s == 'hello' && $n > 5)ok#end", "ok"},
	})
}

func TestForeach(t *testing.T) {
	runCases(t, []renderCase{
		{"hasNext", "#foreach($x in $list)$x#if($foreach.hasNext),#end#end", "1,2,3"},
		{"index count first last", "#foreach($x in ['a','b'])$foreach.index/$foreach.count/$foreach.first/$foreach.last #end", "0/1/true/false 1/2/false/true "},
		{"velocityCount", "#foreach($x in $list)$velocityCount$velocityHasNext #end", "1true 2true 3false "},
		{"getter methods", "#foreach($x in [1])$foreach.hasNext() $foreach.getIndex()#end", "false 0"},
		{"map values", "#foreach($v in $m)$v;#end", "Ann;42;[a, b];"},
		{"keySet", "#foreach($k in $m.keySet())$k=$m.get($k) #end", "name=Ann age=42 tags=[a, b] "},
		{"entrySet", "#foreach($e in $m.entrySet())$e.key:$e.value,$e.getKey() #end", "name:Ann,name age:42,age tags:[a, b],tags "},
		{"range", "#foreach($i in [3..1])$i#end", "321"},
		{"range from references", "#set($a = 2)#foreach($i in [$a..$n])$i#end", "234567"},
		{"JSON list", "#foreach($it in $doc.items)$it.id:$it.ok #end", "1:true 2:false "},
		{"empty list", "#foreach($i in $doc.empty)x#end", ""},
		{"null", "#foreach($i in $nope)x#end", ""},
		{"a string is not iterable", "#foreach($i in $s)x#end", ""},
		{"loop variable restored", "#set($x = 'outer')#foreach($x in [1, 2])$x#end $x", "12 outer"},
		{"loop variable removed", "#foreach($x in [1])#end[$x][$foreach]", "[][]"},
		{"nested with parent", "#foreach($a in [1, 2])#foreach($b in ['x'])$foreach.parent.index$b#end#end", "0x1x"},
		{"break", "#foreach($i in [1..10])#if($i > 3)#break#end$i#end", "123"},
		{"break only the inner loop", "#foreach($a in [1, 2])#foreach($b in [1, 2])#break#end$a#end", "12"},
		{"set inside loop is global", "#foreach($i in [1, 2])#set($last = $i)#end$last", "2"},
		{"exactly the limit", "#set($c = 0)#foreach($i in [1..1000])#set($c = $c + 1)#end$c", "1000"},
		{"break before the limit", "#foreach($i in [1..5000])#if($i == 3)#break#end#end ok", " ok"},
	})
}

func TestForeachLimit(t *testing.T) {
	_, err := render(t, "a\n#foreach($i in [1..1001])x#end", fixture())
	assertError(t, err, "more than 1000 iterations", 2, 1)
	// Nested loops each under the limit still stop at the total.
	_, err = render(t, "#foreach($a in [1..1000])#foreach($b in [1..1000])#end#end", fixture())
	assertError(t, err, "iterations in all", 1, 26)
}

func TestLiterals(t *testing.T) {
	runCases(t, []renderCase{
		{"single quotes are literal", "#set($x = 'a $s \\n')$x", `a $s \n`},
		{"doubled single quote", "#set($x = 'it''s')$x", "it's"},
		{"double quotes interpolate", `#set($x = "a $s ${n}!")$x`, "a hello 7!"},
		{"doubled double quote", `#set($x = "say ""hi""")$x`, `say "hi"`},
		{"backslashes are kept (1.7 does not unescape)", `#set($x = "a\"b\n")$x`, `a\"b\n`},
		{"directives in interpolation", `#set($x = "#if($t)yes#end")$x`, "yes"},
		{"interpolated undefined is empty", `#set($x = "[$nope]")$x`, "[]"},
		{"numbers", "#set($a = -3)#set($b = 1.25)#set($c = 2e3)$a $b $c", "-3 1.25 2000.0"},
		{"booleans and null", "#set($a = true)#set($b = null)$a [$b]", "true []"},
		{"list", "#set($l = [1, 'two', [3]])$l $l.size()", "[1, two, [3]] 3"},
		{"empty list and map", "#set($l = [])#set($m2 = {})$l $m2", "[] {}"},
		{"map", `#set($x = {"a": 1, 'b': [2], "c": {"d": true}})$x $x.c.d`, "{a=1, b=[2], c={d=true}} true"},
		{"multi-line map", "#set($x = {\n  \"a\": 1,\n  \"b\": 2\n})$x.b", "2"},
	})
}

func TestOperators(t *testing.T) {
	runCases(t, []renderCase{
		{"equality", "#if($n == 7 && $s == 'hello' && $n != 8)y#end", "y"},
		{"word forms", "#if($n eq 7 and $n ne 8 and $n gt 6 and $n ge 7 and $n lt 8 and $n le 7 and not $nope)y#end", "y"},
		{"or", "#if($nope || $t)y#end#if($nope or $t)y#end", "yy"},
		{"numbers compare by value", "#if(7 == 7.0)y#end", "y"},
		{"different types compare as strings", "#if($n == '7')y#end", "y"},
		{"null equals null only", "#if($nope == $nada)y#end#if($nope == '')n#end#if($nope != 1)y#end", "yy"},
		{"relational needs numbers", "#if('b' > 'a')y#else n#end", " n"},
		{"lists compare by content", "#if([1, 2] == [1, 2])y#end", "y"},
		{"integer arithmetic", "#set($x = 7 / 2)$x|#set($x = 7 % 3)$x|#set($x = 2 * 3 + 1)$x|#set($x = 10 - 2 - 3)$x", "3|1|7|5"},
		{"decimal arithmetic", "#set($x = 7 / 2.0)$x|#set($x = $f * 2)$x", "3.5|5.0"},
		{"precedence and parens", "#set($x = (1 + 2) * 3)$x|#set($x = 1 + 2 * 3)$x", "9|7"},
		{"division by zero is null", "#set($x = 1)#set($x = 1 / 0)$x", "1"},
		{"null arithmetic is null", "#set($x = 'kept')#set($x = $nope + 1)$x", "kept"},
		{"concatenation with a string (Velocity ASTAddNode)", "#set($x = 'a' + 1)$x|#set($x = $n + 'b')$x|#set($x = $s + $s)$x", "a1|7b|hellohello"},
		{"concatenation with null is null", "#set($x = 'kept')#set($x = 'a' + $nope)$x", "kept"},
		{"unary minus and not", "#set($x = -$n)$x|#set($y = !$t)$y", "-7|false"},
		{"overflow goes decimal", "#set($x = 9223372036854775807 + 1)$x", "9.223372036854776E18"},
		{"truthiness of not", "#if(!$empty)y#else n#end", " n"},
	})
}

func TestStringMethods(t *testing.T) {
	runCases(t, []renderCase{
		{"length", "$s.length() $uni.length() $empty.length()", "5 8 0"},
		{"isEmpty", "$s.isEmpty() $empty.isEmpty()", "false true"},
		{"contains", "$s.contains('ell') $s.contains('x')", "true false"},
		{"startsWith endsWith", "$s.startsWith('he') $s.endsWith('lo') $s.startsWith('l', 2)", "true true true"},
		{"indexOf", "$s.indexOf('l') $s.indexOf('l', 3) $s.lastIndexOf('l') $s.indexOf('z') $uni.indexOf('!')", "2 3 3 -1 7"},
		{"substring", "$s.substring(1) $s.substring(1, 3) $uni.substring(5, 7)", "ello el 😀"},
		{"charAt", "$s.charAt(1)", "e"},
		{"replace", "$s.replace('l', 'L')", "heLLo"},
		{"replaceAll with groups", "$s.replaceAll('(l+)', '[$1]') $s.replaceAll('l', '\\$')", "he[ll]o he$$o"},
		{"replaceFirst", "$s.replaceFirst('l', 'L')", "heLlo"},
		{"AWS's escapeJavaScript idiom", `#set($x = "it\'s")$x.replaceAll("\\'", "'")`, "it's"},
		{"split", "#set($v = 'a,b,,c,,')#set($p = $v.split(','))$p.size() $p $p[2].isEmpty()", "4 [a, b, , c] true"},
		{"split with limit", "#set($v = 'a,b,c')$v.split(',', 2) $v.split(',', -1)", "[a, b,c] [a, b, c]"},
		{"split keeps trailing with negative limit", "#set($v = 'a,,')$v.split(',', -1).size()", "3"},
		{"a literal takes no methods (Velocity grammar)", "'a1b22c'.split('[0-9]+')", "'a1b22c'.split('[0-9]+')"},
		{"split regex on a value", "#set($v = 'a1b22c')$v.split('[0-9]+')", "[a, b, c]"},
		{"split without match", "#set($v = 'abc')$v.split(',')", "[abc]"},
		{"split empty pattern", "#set($v = 'abc')$v.split('')", "[a, b, c]"},
		{"matches is whole-string", "$s.matches('h.*o') $s.matches('ell')", "true false"},
		{"case", "$s.toUpperCase() $s.toUpperCase().toLowerCase()", "HELLO hello"},
		{"trim", "[$spaced.trim()]", "[pad]"},
		{"equals", "$s.equals('hello') $s.equals($n) $s.equalsIgnoreCase('HELLO')", "true false true"},
		{"toString and concat", "$s.toString().concat('!')", "hello!"},
		{"unknown method is null", "[$s.nope()] [$s.substring('x')] [$s.length(1)]", "[] [] []"},
	})
}

func TestCollectionMethods(t *testing.T) {
	runCases(t, []renderCase{
		{"list size isEmpty get contains", "$list.size() $list.isEmpty() $list.get(1) $list.contains(2) $list.contains('2') $list.indexOf(3)", "3 false 2 true false 2"},
		{"count", "$doc.items.count()", "2"},
		{"add and addAll", "#set($l = [])#set($ok = $l.add(1))#set($ok = $l.addAll([2, 3]))$l", "[1, 2, 3]"},
		{"set", "$list.set(0, 'x') $list", "1 [x, 2, 3]"},
		{"map get put", "$m.get('name') $m.put('name', 'Bob') $m.name [$m.get('nope')]", "Ann Ann Bob []"},
		{"map containsKey size isEmpty", "$m.containsKey('age') $m.containsKey('x') $m.size() $m.isEmpty()", "true false 3 false"},
		{"keySet values", "$m.keySet() $m.values()", "[name, age, tags] [Ann, 42, [a, b]]"},
		{"remove", "$m.remove('age') $m", "42 {name=Ann, tags=[a, b]}"},
		{"containsValue", "$m.containsValue('Ann')", "true"},
		{"putAll", "#set($x = {'a': 1})$x.putAll({'b': 2})$x", "{a=1, b=2}"},
		{"numbers", "$n.toString() $f.intValue() $n.doubleValue() $n.equals(7) $n.equals(7.0)", "7 2 7.0 true false"},
		{"big map keeps order", "#set($x = {})#foreach($i in [1..20])$x.put(\"k$i\", $i)#end$x.k17 $x.size() $x.keySet().get(19)", "17 20 k20"},
	})
}

func TestStop(t *testing.T) {
	runCases(t, []renderCase{
		{"stop", "a#stop b", "a"},
		{"break outside a loop stops", "a#break b", "a"},
	})
}

func assertError(t *testing.T, err error, msg string, line, col int) {
	t.Helper()
	e, ok := err.(*vtl.Error)
	if !ok {
		t.Fatalf("error = %v (%T), want a *vtl.Error containing %q", err, err, msg)
	}
	if !strings.Contains(e.Msg, msg) || e.Line != line || e.Col != col {
		t.Errorf("error = %q at %d:%d, want %q at %d:%d", e.Msg, e.Line, e.Col, msg, line, col)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		tmpl, msg string
		line, col int
	}{
		{"#if($t)x", "#if is not closed with #end", 1, 1},
		{"a\n#end", "#end without a matching #if", 2, 1},
		{"#else", "#else without", 1, 1},
		{"#if($t)a#else b#else c#end", "#else after #else", 1, 16},
		{"#foreach($i in $list)x", "#foreach is not closed", 1, 1},
		{"#foreach($i in $list)x#else y#end", "#else without a matching #if", 1, 23},
		{"#foreach(i in $list)#end", "loop variable", 1, 10},
		{"#foreach($i of $list)#end", "expected 'in'", 1, 13},
		{"#set($x)", "expected =", 1, 8},
		{"#set(x = 1)", "needs a reference", 1, 6},
		{"#set($x.size() = 1)", "cannot assign to a method", 1, 6},
		{"#set $x = 1", "must be followed by (", 1, 1},
		{"#if $t", "must be followed by (", 1, 1},
		{"#if($t", "expected )", 1, 7},
		{"${s", "${ is not closed", 1, 1},
		{"$s.substring(1", "expected , or )", 1, 15},
		{"$list[0", "expected ]", 1, 8},
		{"#set($x = 'abc)", "not closed with '", 1, 11},
		{"#set($x = 1 +)", "unexpected \")\"", 1, 14},
		{"#set($x = foo)", "unexpected \"f\"", 1, 11},
		{"#* open", "not closed with *#", 1, 1},
		{"#[[ open", "not closed with ]]#", 1, 1},
		{"#macro(m)x#end", "#macro is not supported", 1, 1},
		{"#parse('x.vm')", "#parse is not supported", 1, 1},
		{"#if(" + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + ")#end", "nested more than 100 levels", 1, 105},
		{`#set($x = "#if(1)")`, "#if is not closed", 1, 12},
	} {
		_, err := vtl.Parse(tc.tmpl)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %q", tc.tmpl, tc.msg)
			continue
		}
		e := err.(*vtl.Error)
		if !strings.Contains(e.Msg, tc.msg) || e.Line != tc.line || e.Col != tc.col {
			t.Errorf("Parse(%q) = %q at %d:%d, want %q at %d:%d", tc.tmpl, e.Msg, e.Line, e.Col, tc.msg, tc.line, tc.col)
		}
		if !strings.HasPrefix(e.Error(), "mapping template line ") {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	for _, tc := range []struct {
		tmpl, msg string
		line, col int
	}{
		{"x\n  $s.substring(9)", "string index out of range", 2, 5},
		{"$s.substring(3, 1)", "out of range", 1, 3},
		{"$list[3]", "out of bounds", 1, 6},
		{"$list.get(-1)", "out of bounds", 1, 6},
		{"#set($list[5] = 1)", "out of bounds", 1, 11},
		{"$s.replaceAll('(?<=h)e', 'x')", "not supported", 1, 3},
		{"$s.matches('(a)\\1')", "not supported", 1, 3},
		{"$s.replaceAll('l', '$2')", "no group 2", 1, 3},
		{"$s.replaceAll('l', '$x')", "illegal group reference", 1, 3},
		{"#set($l = [])$l.add($l)$l", "nested more than 512", 1, 24},
		{"#foreach($i in [1..100001])#end", "has more than", 1, 16},
	} {
		_, err := render(t, tc.tmpl, fixture())
		if err == nil {
			t.Errorf("%q rendered, want error %q", tc.tmpl, tc.msg)
			continue
		}
		e, ok := err.(*vtl.Error)
		if !ok || !strings.Contains(e.Msg, tc.msg) || e.Line != tc.line || e.Col != tc.col {
			t.Errorf("%q: error %v, want %q at %d:%d", tc.tmpl, err, tc.msg, tc.line, tc.col)
		}
	}
}

func TestLimits(t *testing.T) {
	tp, err := vtl.Parse("#foreach($i in [1..100])0123456789#end")
	if err != nil {
		t.Fatal(err)
	}
	lim := vtl.DefaultLimits
	lim.Output = 999
	if _, err := tp.Render(fixture(), lim); err == nil || !strings.Contains(err.Error(), "output exceeds 999 bytes") {
		t.Errorf("output limit: %v", err)
	}
	lim.Output = 1000
	if out, err := tp.Render(fixture(), lim); err != nil || len(out) != 1000 {
		t.Errorf("at the output limit: %d bytes, %v", len(out), err)
	}
	// Doubling a string: the work limit stops it long before memory runs
	// out (and the output limit bounds any one string: see below).
	tp, _ = vtl.Parse(`#set($x = "0123456789")#foreach($i in [1..60])#set($x = "$x$x")#end`)
	lim = vtl.Limits{LoopIterations: 1000, TotalIterations: 1000, Output: 1 << 30, Work: 1 << 20}
	if _, err := tp.Render(fixture(), lim); err == nil || !strings.Contains(err.Error(), "more than 1048576 bytes of text") {
		t.Errorf("work limit: %v", err)
	}
	if _, err := tp.Render(fixture(), vtl.DefaultLimits); err == nil || !strings.Contains(err.Error(), "output exceeds") {
		t.Errorf("a string over the output limit: %v", err)
	}
	lim = vtl.DefaultLimits
	lim.LoopIterations = 2
	tp, _ = vtl.Parse("#foreach($i in [1, 2, 3])$i#end")
	if _, err := tp.Render(fixture(), lim); err == nil || !strings.Contains(err.Error(), "more than 2 iterations") {
		t.Errorf("loop limit: %v", err)
	}
}

// A parsed template is shared by concurrent requests (go test -race).
func TestConcurrentRender(t *testing.T) {
	tp, err := vtl.Parse("#set($x = [])#foreach($i in $list)#set($ok = $x.add($i))#end$x $s")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if out, err := tp.Render(fixture(), vtl.DefaultLimits); err != nil || out != "[1, 2, 3] hello" {
					errs <- out
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for out := range errs {
		t.Errorf("concurrent render gave %q", out)
	}
}

func TestFromJSONAndToJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":[true,null,"x\"y\u00e9"],"c":{}}`: `{"b":1,"a":[true,null,"x\"yé"],"c":{}}`,
		`1.50`:                 `1.5`,
		`12345678901234567890`: `1.2345678901234567E19`,
		` [ ] `:                `[]`,
		`"\ud83d\ude00"`:       `"😀"`,
	} {
		v, err := vtl.FromJSON(in)
		if err != nil {
			t.Errorf("FromJSON(%q): %v", in, err)
			continue
		}
		if got, err := vtl.ToJSON(v); err != nil || got != want {
			t.Errorf("ToJSON(FromJSON(%q)) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `[1,]`, `01`, `"\x01"`, `nul`, `{"a":1}x`, `"\q"`, strings.Repeat("[", 600) + strings.Repeat("]", 600)} {
		if v, err := vtl.FromJSON(bad); err == nil {
			t.Errorf("FromJSON(%q) = %v, want an error", bad, v)
		}
	}
}
