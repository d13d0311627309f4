package mapping_test

import (
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

const petsBody = `{"pets":[{"name":"Rex","type":"dog","price":249.99},{"name":"Tom","type":"cat","price":124}],"owner":{"name":"Ann","tags":["a","b"]},"errorMessage":"{\"key1\":\"var1\",\"key2\":{\"arr\":[1,2,3]}}","n":3,"s":"it's \"q\""}`

type tmplCase struct{ tmpl, want string }

func renderAll(t *testing.T, e *mapping.Env, cases []tmplCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := e.Render(tc.tmpl)
		if err != nil || got != tc.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
	}
}

func TestInputPathAndJSON(t *testing.T) {
	renderAll(t, testEnv(petsBody), []tmplCase{
		// DOC examples: $input.path('$.pets').size() / .count(); parseJson
		// of a stringified errorMessage.
		{"$input.path('$.pets').size() $input.path('$.pets').count()", "2 2"},
		{"#set($e = $util.parseJson($input.path('$.errorMessage')))$e.key2.arr[0]", "1"},
		{"$input.path('$.pets[0].name') $input.path('$.pets[-1].name') $input.path(\"$['owner']['name']\") $input.path(\"$.owner.tags[1]\")", "Rex Tom Ann b"},
		{"$input.path('owner.name')", "Ann"}, // Jayway puts "$." in front
		{"[$input.path('$.missing')][$input.path('$.pets[5]')][$input.path('$.owner.name.deeper')]", "[][][]"},
		{"$input.path('$.pets[*].name')", `["Rex","Tom"]`},
		{"$input.path('$..name')", `["Rex","Tom","Ann"]`},
		{"$input.path('$.owner.*')", `["Ann",["a","b"]]`},
		{"$input.path('$.pets[0:1]').size() $input.path('$.pets[1:]')[0].name $input.path('$.pets[:-1]')[0].name", "1 Tom Rex"},
		{"$input.path(\"$['pets','n']\").size()", "2"},
		{"$input.path('$.owner')", "{name=Ann, tags=[\"a\",\"b\"]}"},
		{"$input.path('$.n') $input.path('$.pets[0].price') $input.path('$.pets[1].price')", "3 249.99 124"},
		{"#foreach($p in $input.path('$.pets'))$p.name=$p.type#if($foreach.hasNext),#end#end", "Rex=dog,Tom=cat"},
		{"$input.json('$.pets[0]')", `{"name":"Rex","type":"dog","price":249.99}`},
		{"$input.json('$.owner.name') $input.json('$.n') $input.json('$.missing')", `"Ann" 3 null`},
		{"$input.json('$.s')", `"it's \"q\""`},
		{"$input.json('$.pets[*].type')", `["dog","cat"]`},
		{"$input.path('$').owner.name $input.path('$').toString().contains('Rex')", "Ann true"},
	})
	for _, bad := range []string{"$input.path('$.pets[?(@.price > 10)]')", "$input.path('$.pets.length()')", "$input.json('$[')", "$input.path('$.a[x]')"} {
		if got, err := testEnv(petsBody).Render(bad); err == nil {
			t.Errorf("Render(%q) = %q, want an error (unsupported JSONPath)", bad, got)
		}
	}
	// A body that is not JSON is the raw string at $ (OBS: templates split
	// form bodies with $input.path('$').split('&')).
	renderAll(t, testEnv("a=1&b=2"), []tmplCase{
		{"#foreach($kv in $input.path('$').split('&'))$kv.split('=')[0];#end", "a;b;"},
		{"[$input.path('$.a')] $input.json('$')", `[] "a=1&b=2"`},
	})
}

func TestInputParams(t *testing.T) {
	renderAll(t, testEnv(""), []tmplCase{
		{"$input.params().keySet()", "[path, querystring, header]"},
		{"$input.params().path", "{emptyPath=, id=7}"},
		{"$input.params().querystring.get('q') $input.params().querystring.multi", "from-query 1"},
		{"$input.params().header.get('X-Hdr')", "from-header"},
		{"#foreach($type in $input.params().keySet())$type:$input.params().get($type).size() #end", "path:2 querystring:4 header:5 "},
		{"[$input.params('nothing')] [$input.params(1)]", "[] []"},
	})
}

func TestUtil(t *testing.T) {
	renderAll(t, testEnv(petsBody), []tmplCase{
		// DOC: single quotes become \' (and the documented replaceAll idiom
		// turns them back); the rest is Commons Lang's escapeJavaScript.
		{"$util.escapeJavaScript($input.path('$.s'))", `it\'s \"q\"`},
		{`$util.escapeJavaScript($input.path('$.s')).replaceAll("\\'","'")`, `it's \"q\"`},
		{"#set($x = \"a/b\\c\ttab\u00e9\U0001F600\")$util.escapeJavaScript($x)", `a\/b\\c\ttab\u00E9\uD83D\uDE00`},
		{"[$util.escapeJavaScript($input.path('$.missing'))]", "[]"},
		{"$util.escapeJavaScript($input.path('$.n'))", "3"},
		{"$util.base64Encode('hello wörld') $util.base64Decode('aGVsbG8gd8O2cmxk')", "aGVsbG8gd8O2cmxk hello wörld"},
		{"$util.urlEncode('a b&c=d/é*~') $util.urlDecode('a+b%26c%3Dd%2F%C3%A9*~')", "a+b%26c%3Dd%2F%C3%A9*%7E a b&c=d/é*~"},
		{"$util.parseJson('[1,{\"a\":true}]')[1].a $util.parseJson('\"s\"')", "true s"},
		{"[$util.nope('x')] [$util.urlEncode()]", "[] []"},
	})
	for _, bad := range []string{"$util.base64Decode('!!!')", "$util.urlDecode('%zz')", "$util.urlDecode('%4')", "$util.parseJson('{')"} {
		if got, err := testEnv("").Render(bad); err == nil {
			t.Errorf("Render(%q) = %q, want an error", bad, got)
		}
	}
}

func TestContextInTemplates(t *testing.T) {
	e := testEnv("")
	e.Ctx.APIKeyID = "key-1"
	renderAll(t, e, []tmplCase{
		{"$context.requestId $context.identity.sourceIp $context.identity.userAgent", "0b5e2a4c-1111-4222-8333-944445555666 192.0.2.7 gatecheck-test/1"},
		{"$context.requestTimeEpoch $context.requestTime", "1700000000123 14/Nov/2023:22:13:20 +0000"},
		{"#if($context.requestTimeEpoch > 0)number#end #if(!$context.isCanaryRequest)not canary#end", "number not canary"},
		{"$context.protocol $context.domainName $context.domainPrefix $context.identity.apiKeyId", "HTTP/1.1 example.com example key-1"},
		{"[$context.authorizer.principalId][$context.identity.accountId][$context.error.message]", "[][][]"},
		{"$context.get('stage')", "test"},
		{"$stageVariables.version $stageVariables.get('host') $stageVariables.keySet() [$stageVariables.nope]", "v1 backend:9090 [host, version] []"},
		{"#foreach($k in $stageVariables.keySet())$k=$stageVariables.get($k);#end", "host=backend:9090;version=v1;"},
	})
	// As in the Lambda event: HTTP/1.1 for an HTTP/2 client, and the API's
	// id as the prefix of a host that has no such label (an IP address).
	h2 := testEnv("")
	h2.Request.Proto, h2.Request.Host = "HTTP/2.0", "127.0.0.1:8080"
	h2.Ctx.Resource = &restapi.Resource{Path: "/items/{id}", ID: "abc123"}
	renderAll(t, h2, []tmplCase{
		{"$context.protocol $context.domainName $context.domainPrefix $context.resourceId $context.apiId", "HTTP/1.1 127.0.0.1:8080 a1b2c3d4e5 abc123 a1b2c3d4e5"},
	})
	e.Error = &mapping.Error{Message: `say "hi"`, ResponseType: "DEFAULT_4XX"}
	renderAll(t, e, []tmplCase{
		{`{"message":$context.error.messageString,"type":"$context.error.responseType"}`, `{"message":"say \"hi\"","type":"DEFAULT_4XX"}`},
	})
}

func TestOverrides(t *testing.T) {
	e := testEnv(`{"kind":"customerror"}`)
	// AWS-REC (issue 11 evidence topic 2): the status override in #if/#else.
	out, err := e.Render(`#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("customerror"))
    #set($context.responseOverride.status = 400)
#else
    #set($context.responseOverride.status = 202)
#end
#set($context.responseOverride.header.X-Kind = $inputRoot.kind)
#set($context.requestOverride.header.X-Up = 'up')
#set($context.requestOverride.path.id = 'p1')
#set($context.requestOverride.querystring.q = 1)
$context.responseOverride.status $context.requestOverride.path.id $context.requestOverride.header`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"kind\":\"customerror\"}\n400 p1 {X-Up=up}"; out != want {
		t.Errorf("rendered %q, want %q", out, want)
	}
	o := e.Overrides
	if o == nil || o.ResponseStatus != 400 {
		t.Fatalf("overrides = %+v", o)
	}
	for _, c := range []struct {
		p          mapping.Params
		name, want string
	}{{o.ResponseHeader, "X-Kind", "customerror"}, {o.RequestHeader, "X-Up", "up"}, {o.RequestPath, "id", "p1"}, {o.RequestQuerystring, "q", "1"}} {
		if v, ok := c.p.Get(c.name); !ok || v != c.want {
			t.Errorf("override %s = %q, %v; want %q", c.name, v, ok, c.want)
		}
	}
	// A later template of the same request sees them (AWS-REC: a mock's
	// response template reads the request template's path override).
	renv := *e
	if got, err := renv.Render("path was $context.requestOverride.path.id"); err != nil || got != "path was p1" {
		t.Errorf("response template read %q, %v", got, err)
	}
	// Overrides are final (DOC): a second set of the same one is a 5XX.
	for _, tmpl := range []string{
		"#set($context.responseOverride.status = 500)",
		"#set($context.requestOverride.path.id = 'p2')",
		"$context.requestOverride.header.put('X-Up', 'again')",
	} {
		if _, err := renv.Render(tmpl); err == nil || !strings.Contains(err.Error(), "overrides are final") {
			t.Errorf("Render(%q): %v, want an error: overrides are final", tmpl, err)
		}
	}
	for _, tmpl := range []string{"#set($context.responseOverride.status = 'abc')", "#set($context.responseOverride.status = 99)", "#set($context.responseOverride.other = 1)"} {
		if _, err := testEnv("").Render(tmpl); err == nil {
			t.Errorf("Render(%q) succeeded, want an error", tmpl)
		}
	}
	e2 := testEnv("")
	if _, err := e2.Render("#set($context.responseOverride.status = '201')[$context.responseOverride.header]"); err != nil || e2.Overrides.ResponseStatus != 201 {
		t.Errorf("status from a numeric string: %+v, %v", e2.Overrides, err)
	}
	if got, _ := testEnv("").Render("[$context.responseOverride.status]"); got != "[]" {
		t.Errorf("unset status rendered %q", got)
	}
}

func TestRenderErrorsAndLimits(t *testing.T) {
	e := testEnv("")
	for _, tmpl := range []string{
		"$input.params('q').substring(99)", // a Java exception
		"#foreach($i in [1..1001])#end",    // API Gateway's iteration limit
		"#if(",                             // a syntax error, found at render
		"a" + strings.Repeat("$x", restapi.MaxTemplateBytes/2), // over 300 KB
	} {
		if got, err := e.Render(tmpl); err == nil || got != "" {
			t.Errorf("Render(%.40q) = %q, %v; want an error and no output", tmpl, got, err)
		}
	}
	// Exactly at the size limit is fine.
	if got, err := e.Render("$!x" + strings.Repeat(" ", restapi.MaxTemplateBytes-3)); err != nil || len(got) != restapi.MaxTemplateBytes-3 {
		t.Errorf("a template at the limit: %d bytes, %v", len(got), err)
	}
}

func TestSubstitute(t *testing.T) {
	e := testEnv("")
	for in, want := range map[string]string{
		"http://${stageVariables.host}/x":                              "http://backend:9090/x",
		"http://${stageVariables.host}/${stageVariables.version}#frag": "http://backend:9090/v1#frag",
		"http://h/$context.requestId/${stageVariables.nope}":           "http://h/$context.requestId/",
		"http://h/${stageVariables.host":                               "http://h/${stageVariables.host",
		"plain":                                                        "plain",
	} {
		if got := e.Substitute(in); got != want {
			t.Errorf("Substitute(%q) = %q, want %q", in, got, want)
		}
	}
}

// A body the JSON parser accepts can be rendered: both stop at the same
// depth (300 levels failed to render while the parser took 512).
func TestDeepBodyRendersIfParsed(t *testing.T) {
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	if got, err := testEnv(deep).Render("$input.json('$')"); err != nil || got != deep {
		t.Errorf("300 levels: %q, %v", got, err)
	}
}
