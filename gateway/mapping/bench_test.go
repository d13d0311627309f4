package mapping_test

import (
	"testing"
)

// benchTemplate is a typical response template: a loop over a JSON list
// with conditions, $util and $context, building a JSON document.
const benchTemplate = `#set($root = $input.path('$'))
{
  "requestId": "$context.requestId",
  "stage": "$context.stage",
  "count": $root.pets.size(),
  "pets": [
#foreach($pet in $root.pets)
    {"name": "$util.escapeJavaScript($pet.name)", "kind": "$pet.type",#if($pet.price > 200) "premium": true,#end "price": $pet.price}#if($foreach.hasNext),#end
#end
  ],
  "owner": $input.json('$.owner')
}`

// BenchmarkRender renders benchTemplate against a small JSON body: the
// per-request cost of a templated response (the template is parsed once,
// by the first iteration).
func BenchmarkRender(b *testing.B) {
	e := testEnv(petsBody)
	if _, err := e.Render(benchTemplate); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(benchTemplate); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderSimple is the common gateway response template: a few
// references, no directives.
func BenchmarkRenderSimple(b *testing.B) {
	e := testEnv("")
	const tmpl = `{"message":$context.error.messageString,"type":"$context.error.responseType","stage":"$context.stage"}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(tmpl); err != nil {
			b.Fatal(err)
		}
	}
}
