package management_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatecheck/gatecheck/fixtures"
	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/internal/fuzzing"
)

// signedWire signs a request to the management API with the emulator's
// built-in credential, as the AWS SDK does, and returns it as the server
// reads it off the wire. ok is false when the parts do not make a request
// a client could send.
func signedWire(t *testing.T, method, path, query string, body []byte) (*http.Request, bool) {
	req, err := http.NewRequest(method, "http://127.0.0.1:8081"+path+"?"+query, bytes.NewReader(body))
	if err != nil {
		return nil, false // not a valid method or target
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: gateway.DefaultCredential.AccessKeyID, SecretAccessKey: gateway.DefaultCredential.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "apigateway", "us-east-1", time.Now()); err != nil {
		t.Fatalf("signing: %v", err)
	}
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		return nil, false
	}
	server, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		return nil, false // the server would answer 400 itself
	}
	return server, true
}

// FuzzManagement sends requests with arbitrary method, path, query and
// JSON body, correctly signed with gateway.DefaultCredential, to the
// management API of a fresh reference gateway.
//
// Property: no panic; each request is answered within fuzzing.Deadline;
// a correctly signed request is never refused as unauthenticated (403);
// and the management API never answers 5xx: bad paths, patches, dates and

// callBudget bounds what one management call may allocate.
var callBudget = fuzzing.Budget{Fixed: 8 << 20, PerByte: 256}

// ids get 4xx.
func FuzzManagement(f *testing.F) {
	for _, s := range []struct{ method, path, query, body string }{
		{"GET", "/usageplans", "", ""},
		{"GET", "/usageplans/gatecheck-quota/usage", "startDate=2026-01-01&endDate=2026-01-02&keyId=gatecheck-a", ""},
		{"PATCH", "/usageplans/gatecheck-quota/keys/gatecheck-a/usage", "", `{"patchOperations":[{"op":"replace","path":"/remaining","value":"3"}]}`},
		{"GET", "/apikeys", "includeValues=true", ""},
		{"PATCH", "/restapis/9ofscx36vo/stages/canary", "", `{"patchOperations":[{"op":"replace","path":"/canarySettings/percentTraffic","value":"50"}]}`},
		{"DELETE", "/restapis/9ofscx36vo/stages/cached/cache/data", "", ""},
		{"GET", "/restapis/9ofscx36vo/stages/%74est", "", ""},
	} {
		f.Add(s.method, s.path, s.query, []byte(s.body))
	}
	apiData, err := fixtures.Files.ReadFile(fixtures.ReferenceAPI)
	if err != nil {
		f.Fatal(err)
	}
	api, err := restapi.Load(fixtures.ReferenceAPI, apiData)
	if err != nil {
		f.Fatal(err)
	}
	stageData, err := fixtures.Files.ReadFile(fixtures.ReferenceStages)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		req, ok := signedWire(t, method, path, query, body)
		if !ok {
			return
		}
		// A fresh gateway per input: a PATCH changes its stages and quotas.
		sf, err := restapi.LoadStages(fixtures.ReferenceStages, stageData)
		if err != nil {
			t.Fatal(err)
		}
		gw, err := gateway.New(api, sf, gateway.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer gw.Close()
		rec := httptest.NewRecorder()
		// One call allocates in proportion to what it was sent (the body is
		// at most 1 MiB), not more.
		fuzzing.WithinBudget(t, fuzzing.Deadline, callBudget, len(method)+len(path)+len(query)+len(body), "the management API", func() { gw.Management().ServeHTTP(rec, req) })
		if rec.Code == http.StatusForbidden {
			t.Fatalf("%s %s?%s: a correctly signed request was refused: %s %s", method, path, query, rec.Header().Get("X-Amzn-ErrorType"), rec.Body)
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s %q: %d %s", method, path, query, body, rec.Code, rec.Body)
		}
	})
}
