// Package vtl is the subset of the Velocity Template Language (VTL) that
// Amazon API Gateway runs for mapping templates: a lexer/parser that turns
// a template into an AST once, and an evaluator that renders it many
// times. It follows Apache Velocity 1.7, which API Gateway runs, in
// Velocity's non-strict mode, except that a null reference renders as ""
// ($x, $!x, ${x} and $!{x} alike): API Gateway renders missing values
// empty (OBS, toqoz/api-gateway-mapping-template#5). The host (package
// mapping) supplies $input, $util, $context and $stageVariables as
// Objects.
//
// No maintained Go implementation was found: github.com/viant/velty and
// github.com/iron-s/go-vtl are not served by the module proxy, and go-vtl
// is strict-mode only (undefined references are errors).
//
// # Grammar
//
//	template   = { text | reference | directive | comment } .
//	comment    = "##" ... newline | "#*" ... "*#" .
//	unparsed   = "#[[" ... "]]#"                      (copied as written)
//	reference  = "$" [ "!" ] ( "{" ref "}" | ref ) .
//	ref        = ident { "." ident [ "(" [ args ] ")" ] | "[" expr "]" } .
//	ident      = ( letter | "_" ) { letter | digit | "_" | "-" } .
//	directive  = "#set(" reference "=" expr ")"
//	           | "#if(" expr ")" template { "#elseif(" expr ")" template } [ "#else" template ] "#end"
//	           | "#foreach(" "$" ident "in" expr ")" template "#end"
//	           | "#break" [ "($foreach)" ] | "#stop" .
//	                                                  (#{set}, #{if}, #{else}, #{end}... too)
//	expr       = see expr.go: || or, && and, == eq != ne, < lt <= le > gt >= ge,
//	             + -, * / %, unary ! not -, then primaries:
//	primary    = reference | "'text'" | "\"text with $interpolation\"" | integer | decimal
//	           | "true" | "false" | "null" | "[" [ expr { "," expr } ] "]"
//	           | "[" expr ".." expr "]" | "{" [ expr ":" expr { "," expr ":" expr } ] "}"
//	           | "(" expr ")" .
//
// A '.' starts a property only when a letter follows ($price.00 is
// "$price" then ".00"); an identifier may hold '-' after its first
// character, as in Velocity 1.7 ($a-b is one name). A '#' or '$' that
// starts nothing above is text ("#ffffff", "$5").
//
// # Semantics
//
//   - Escaping: n backslashes before a reference or a directive render n/2
//     backslashes; an odd n renders the reference or directive as written
//     (\$x gives "$x", \\$x gives "\" and the value, \#if gives "#if").
//     Velocity treats an escaped undefined reference differently; here
//     every reference counts as defined.
//   - Whitespace, as Velocity 1.7 (its Parser.jjt): #set eats the spaces
//     and tabs before it; the closing ')' of #set, #if, #elseif and
//     #foreach, and #else and #end, eat following spaces and tabs up to and
//     including one newline; a ## comment eats its newline. Nothing else is
//     trimmed: the indentation before #if or #end stays in the output.
//   - String literals: '...' is literal (” is a quote); "..." is
//     interpolated (references and directives inside are rendered) and ""
//     is a quote. Backslashes are kept as written (Velocity 1.7 does not
//     unescape literals), which is why AWS's documented idiom
//     $util.escapeJavaScript($x).replaceAll("\\'","'") works.
//   - #set with a null right-hand side leaves the variable unchanged
//     (Velocity 1.7's default). #set($a.b = v) puts into a map or sets a
//     host object's property ($context.responseOverride.status).
//   - #if: null and false are false, anything else (even "") is true.
//   - == compares numbers by value, values of one type by equality, others
//     by their string forms; null == null. < <= > >= compare numbers only
//     (false otherwise).
//   - + concatenates when either side is a string (Velocity's ASTAddNode:
//     "shall we try for strings?"), adds numbers otherwise; integer
//     arithmetic stays integer (7/2 is 3); null, a non-number or a
//     division by zero gives null.
//   - #foreach iterates a list, or a map's values; $foreach.index (from 0),
//     .count (from 1), .hasNext, .first, .last, .parent, $velocityCount
//     (from 1) and $velocityHasNext are set in the loop and the loop
//     variable is restored after it. More than Limits.LoopIterations
//     (1,000, API Gateway's documented limit) is an error.
//   - Anything applied to null is null; an unknown property or method, or a
//     method called with arguments of the wrong number or type, is null. A
//     method that fails as Java's would throw (substring out of range, an
//     index out of range, a regular expression RE2 cannot run) is an error.
//   - Values render as Java's toString: 1.5, 1.0E10, true, [a, b] for a
//     list built in the template, {k=v} for a map; a list parsed from JSON
//     renders as JSON (["a",1]), as API Gateway's $input.path lists do
//     (OBS, LocalStack PR #12379).
//
// # Methods
//
// Strings: length isEmpty contains startsWith endsWith indexOf lastIndexOf
// substring charAt replace replaceAll replaceFirst split matches
// toLowerCase toUpperCase trim equals equalsIgnoreCase concat toString.
// Lists: size count isEmpty get contains indexOf add addAll set toString
// equals. Maps: get put containsKey containsValue keySet values entrySet
// size isEmpty remove putAll toString equals. Numbers: intValue longValue
// doubleValue floatValue toString equals. Indexes count UTF-16 code units
// as in Java.
//
// # Not supported
//
// #macro, #parse, #include, #define and #evaluate (a parse error: API
// Gateway loads no other templates); velocimacro calls (#name() is text);
// Java reflection beyond the methods above (getClass, hashCode, String
// arrays rendering as "[Ljava.lang.String;@..."); map keys other than
// strings (a key is stored as its string form); regular expression
// features RE2 lacks (backreferences, lookaround, possessive quantifiers).
// Accepted beyond Velocity 1.7: a null literal, any expression as a method
// argument or index, unary minus on any number.
package vtl
