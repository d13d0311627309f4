package restapi_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gatecheck/gatecheck/gateway/restapi"
)

var awsRestAPIID = regexp.MustCompile(`^[a-z0-9]{10}$`)

func withTopLevel(ext string) []byte {
	return []byte(`openapi: 3.0.1
info: {title: my-api, version: "1"}
` + ext + `
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: OK}}
      x-amazon-apigateway-integration: {type: mock}
`)
}

func TestRestAPIIDDerivedFromTitle(t *testing.T) {
	api, err := restapi.Load("api.yaml", withTopLevel(""))
	if err != nil {
		t.Fatal(err)
	}
	id := api.ID()
	if !awsRestAPIID.MatchString(id) {
		t.Fatalf("ID() = %q, not 10 lower-case letters and digits", id)
	}
	if id == api.Name || id != restapi.DefaultRestAPIID("my-api") {
		t.Errorf("ID() = %q, want DefaultRestAPIID(title) = %q", id, restapi.DefaultRestAPIID("my-api"))
	}
	again, _ := restapi.Load("api.yaml", withTopLevel(""))
	if again.ID() != id {
		t.Errorf("the derived id changes between loads: %q, %q", id, again.ID())
	}
	if other := restapi.DefaultRestAPIID("my-api-2"); other == id {
		t.Errorf("two titles share the id %q", id)
	}
	// An API built in code (no Load) gets the same id from its name.
	if got := (&restapi.API{Name: "my-api"}).ID(); got != id {
		t.Errorf("code-built API id = %q, want %q", got, id)
	}
}

func TestRestAPIIDExtension(t *testing.T) {
	api, err := restapi.Load("api.yaml", withTopLevel("x-gatecheck-restApiId: a1b2c3d4e5"))
	if err != nil {
		t.Fatal(err)
	}
	if api.ID() != "a1b2c3d4e5" {
		t.Errorf("ID() = %q, want the extension's a1b2c3d4e5", api.ID())
	}
	for _, bad := range []string{"gatecheck-reference", "A1B2C3D4E5", "a1b2c3d4e", "a1b2c3d4e5f", "a1b2c3-4e5", "42"} {
		_, err := restapi.Load("api.yaml", withTopLevel("x-gatecheck-restApiId: "+bad))
		ce := configError(t, err, "api.yaml")
		p := problemWith(t, ce, "x-gatecheck-restApiId")
		for _, want := range []string{"is not a REST API id", "10 lower-case letters and digits", restapi.DefaultRestAPIID("my-api")} {
			if !strings.Contains(p, want) {
				t.Errorf("%s: problem %q lacks %q", bad, p, want)
			}
		}
	}
}

func TestResourceIDs(t *testing.T) {
	api, err := restapi.Load("api.yaml", withTopLevel(""))
	if err != nil {
		t.Fatal(err)
	}
	res := api.Resources[0]
	if !regexp.MustCompile(`^[a-z0-9]{6}$`).MatchString(res.ID) {
		t.Fatalf("resource id %q is not 6 lower-case letters and digits", res.ID)
	}
	if got := api.ResourceID(res); got != res.ID {
		t.Errorf("ResourceID = %q, want %q", got, res.ID)
	}
	built := &restapi.Resource{Path: res.Path}
	if got := api.ResourceID(built); got != res.ID {
		t.Errorf("a code-built resource's id = %q, want the loaded one %q", got, res.ID)
	}
	if got := api.ResourceID(&restapi.Resource{Path: "/other"}); got == res.ID {
		t.Errorf("two resources share the id %q", got)
	}
	if api.ResourceID(nil) != "" {
		t.Error("ResourceID(nil) is not empty")
	}
}

// The shipped profiles name the reference API by the id the reference
// gateway serves it under.
func TestReferenceRestAPIIDInProfiles(t *testing.T) {
	api, err := restapi.LoadFile(referenceAPI)
	if err != nil {
		t.Fatal(err)
	}
	if api.ID() != restapi.ReferenceRestAPIID || !awsRestAPIID.MatchString(api.ID()) {
		t.Fatalf("reference API id = %q, ReferenceRestAPIID = %q", api.ID(), restapi.ReferenceRestAPIID)
	}
	for _, name := range []string{"reference.yaml", "local.yaml"} {
		data, err := os.ReadFile("../../fixtures/profiles/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Target struct {
				RestAPIID string `yaml:"restApiId"`
			} `yaml:"target"`
		}
		if err := yaml.Unmarshal(data, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Target.RestAPIID != api.ID() {
			t.Errorf("%s: target.restApiId = %q, want the reference API's id %q", name, p.Target.RestAPIID, api.ID())
		}
	}
}
