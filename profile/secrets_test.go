package profile_test

import (
	"slices"
	"testing"

	"github.com/gatecheck/gatecheck/profile"
)

type keyCfg struct {
	Key string `yaml:"key"`
}

func (c *keyCfg) Secrets() []string { return []string{c.Key} }

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: "test-key", NewConfig: func() any { return &keyCfg{} }})
}

func TestSecrets(t *testing.T) {
	p, err := profile.Load("secrets.yaml", []byte(`
version: 1
name: t
target:
  restURL: http://user:restPassword@127.0.0.1:8080
  fixtureURL: http://onlyuser@127.0.0.1:9090
  managementURL: http://m:mgmtPassword@127.0.0.1:8081
  stage: test
  credentials: static
  accessKeyId: AKIAEXAMPLE
  secretAccessKey: staticSecretKey
  region: us-east-1
  headers: {x-api-key: headerApiKey, Authorization: Bearer headerBearer, x-apigw-api-id: notSecret}
features:
  test-key: {key: featureApiKey}
  test-flag: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Secrets()
	slices.Sort(got)
	want := []string{"Bearer headerBearer", "featureApiKey", "headerApiKey", "mgmtPassword", "restPassword", "staticSecretKey"}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q (user names, access key ids and other headers are not secret)", got, want)
	}
}
