package management_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"
	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/management"
	"github.com/gatecheck/gatecheck/gateway/restapi"
	"github.com/gatecheck/gatecheck/gateway/sigv4"
	"github.com/gatecheck/gatecheck/gateway/usageplan"
)

var cred = sigv4.Credential{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Identity: "tester"}

func setup(t *testing.T) (*apigateway.Client, *usageplan.Plans, *clockwork.FakeClock, string) {
	// SDK signatures carry the wall-clock time: start the fake clock there.
	clock := clockwork.NewFakeClockAt(time.Now())
	api := &restapi.API{}
	sf := &restapi.StageFile{
		Stages:  []restapi.Stage{{StageName: "test"}},
		APIKeys: []restapi.APIKey{{ID: "k1", Name: "one", Value: "valueOne0123456789012"}},
		UsagePlans: []restapi.UsagePlan{{ID: "p1", Name: "plan", Quota: &restapi.Quota{Limit: 10, Period: restapi.QuotaDay},
			Throttle: &restapi.Throttle{RateLimit: 5, BurstLimit: 2}, APIStages: []restapi.UsagePlanStage{{Stage: "test"}}, APIKeys: []string{"k1"}}},
	}
	plans := usageplan.New(api, sf, clock)
	srv := httptest.NewServer(management.New(plans, &sigv4.Verifier{Credentials: []sigv4.Credential{cred}, Clock: clock}, clock))
	t.Cleanup(srv.Close)
	client := apigateway.New(apigateway.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
	})
	return client, plans, clock, srv.URL
}

func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestUsageRoundTripThroughTheSDK(t *testing.T) {
	client, plans, clock, _ := setup(t)
	ctx := context.Background()
	q := plans.Key("k1").Membership("p1").Quota
	for i := 0; i < 4; i++ {
		q.Take(clock.Now())
	}
	today := clock.Now().UTC().Format(time.DateOnly)
	out, err := client.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: aws.String("p1"), StartDate: aws.String(today), EndDate: aws.String(today), KeyId: aws.String("k1")})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Items["k1"]; len(got) != 1 || got[0][0] != 4 || got[0][1] != 6 {
		t.Fatalf("usage = %v, want [[4 6]]", out.Items)
	}
	upd, err := client.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: aws.String("p1"), KeyId: aws.String("k1"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("10")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := upd.Items["k1"]; len(got) != 1 || got[0][0] != 0 || got[0][1] != 10 {
		t.Fatalf("after UpdateUsage: %v", upd.Items)
	}
	if used, rem := q.Usage(clock.Now()); used != 0 || rem != 10 {
		t.Fatalf("the gateway's quota did not change: %d/%d", used, rem)
	}
}

func TestPlansAndKeysThroughTheSDK(t *testing.T) {
	client, _, _, _ := setup(t)
	ctx := context.Background()
	plansOut, err := client.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plansOut.Items) != 1 || aws.ToString(plansOut.Items[0].Id) != "p1" || plansOut.Items[0].Quota.Limit != 10 || plansOut.Items[0].Throttle.BurstLimit != 2 {
		t.Fatalf("plans = %+v", plansOut.Items)
	}
	keys, err := client.GetApiKeys(ctx, &apigateway.GetApiKeysInput{IncludeValues: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Items) != 1 || aws.ToString(keys.Items[0].Value) != "valueOne0123456789012" || !keys.Items[0].Enabled {
		t.Fatalf("keys = %+v", keys.Items)
	}
	_, err = client.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: aws.String("nope")})
	if awsCode(err) != "NotFoundException" {
		t.Fatalf("unknown plan: %v", err)
	}
	_, err = client.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: aws.String("p1"), KeyId: aws.String("k1"),
		PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/remaining"), Value: aws.String("1")}}})
	if awsCode(err) != "BadRequestException" {
		t.Fatalf("unsupported patch op: %v", err)
	}
	_, err = client.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: aws.String("p1"), KeyId: aws.String("nope"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("1")}}})
	if awsCode(err) != "NotFoundException" {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestUnsignedAndWronglySignedCallsAreRejected(t *testing.T) {
	_, _, _, url := setup(t)
	resp, err := http.Get(url + "/usageplans")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	wrong := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKeyID, "not-the-secret", "")})
	_, err = wrong.GetUsagePlans(context.Background(), &apigateway.GetUsagePlansInput{})
	if awsCode(err) != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestGetUsageReportsOneEntryPerDay(t *testing.T) {
	client, plans, clock, _ := setup(t)
	q := plans.Key("k1").Membership("p1").Quota
	q.Take(clock.Now())
	today := clock.Now().UTC()
	start := today.AddDate(0, 0, -2).Format(time.DateOnly)
	out, err := client.GetUsage(context.Background(), &apigateway.GetUsageInput{UsagePlanId: aws.String("p1"), StartDate: aws.String(start), EndDate: aws.String(today.Format(time.DateOnly))})
	if err != nil {
		t.Fatal(err)
	}
	days := out.Items["k1"]
	if aws.ToString(out.StartDate) != start || len(days) != 3 || days[2][0] != 1 || days[2][1] != 9 || days[0][0] != 0 {
		t.Fatalf("range %s..%s items %v: want 3 days, today [1 9]", aws.ToString(out.StartDate), aws.ToString(out.EndDate), days)
	}
}

func TestInvalidPatchChangesNothing(t *testing.T) {
	client, plans, clock, _ := setup(t)
	q := plans.Key("k1").Membership("p1").Quota
	q.Take(clock.Now())
	_, err := client.UpdateUsage(context.Background(), &apigateway.UpdateUsageInput{UsagePlanId: aws.String("p1"), KeyId: aws.String("k1"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("10")},
			{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("lots")},
		}})
	if awsCode(err) != "BadRequestException" {
		t.Fatalf("want BadRequestException, got %v", err)
	}
	if used, _ := q.Usage(clock.Now()); used != 1 {
		t.Fatalf("a rejected patch changed the quota: used %d", used)
	}
}

// noCaches is a stage cache registry with no cache clusters.
type noCaches struct{}

func (noCaches) Flush(string) bool           { return false }
func (noCaches) Size(string) string          { return "" }
func (noCaches) Resize(string, string) error { return errors.New("no cache cluster") }

func TestUpdateStageIsAllOrNothing(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	stages := canary.NewStages([]restapi.Stage{{StageName: "test", DeploymentID: "d1", Variables: map[string]string{"version": "v1"},
		CanarySettings: &restapi.CanarySettings{DeploymentID: "d2", StageVariableOverrides: map[string]string{"version": "v2"}}}})
	api := management.New(usageplan.New(&restapi.API{}, &restapi.StageFile{}, clock), &sigv4.Verifier{Credentials: []sigv4.Credential{cred}, Clock: clock}, clock)
	api.Deployments = map[string]bool{"d1": true, "d2": true}
	api.Stages("api", stages, noCaches{})
	srv := httptest.NewServer(api)
	defer srv.Close()
	client := apigateway.New(apigateway.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, "")})
	for name, bad := range map[string]types.PatchOperation{
		"resize without a cache cluster":               {Op: types.OpReplace, Path: aws.String("/cacheClusterSize"), Value: aws.String("0.5")},
		"invalid override value":                       {Op: types.OpReplace, Path: aws.String("/canarySettings/stageVariableOverrides/version"), Value: aws.String("v 2!")},
		"a canary on a deployment that does not exist": {Op: types.OpReplace, Path: aws.String("/canarySettings/deploymentId"), Value: aws.String("d9")},
	} {
		_, err := client.UpdateStage(context.Background(), &apigateway.UpdateStageInput{RestApiId: aws.String("api"), StageName: aws.String("test"),
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/variables/version"), Value: aws.String("v9")}, bad}})
		if awsCode(err) != "BadRequestException" {
			t.Errorf("%s: want BadRequestException, got %v", name, err)
		}
		if st := stages.Get("test"); st.Variables["version"] != "v1" || st.CanarySettings.StageVariableOverrides["version"] != "v2" {
			t.Errorf("%s: the rejected patch changed the stage: %+v %+v", name, st.Variables, st.CanarySettings)
		}
	}
}

// signedPatch sends a PATCH with body, signed with secret like the SDK does.
func signedPatch(t *testing.T, url, secret string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, url+"/usageplans/p1/keys/k1/usage", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "apigateway", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// A correctly signed body over the 1 MiB limit gets 413, not a signature
// error; a wrongly signed one is still refused as a signature error.
func TestOversizedSignedBodyGets413(t *testing.T) {
	_, _, _, url := setup(t)
	body := bytes.Repeat([]byte(" "), 1<<20+1)
	if resp := signedPatch(t, url, cred.SecretAccessKey, body); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("signed %d-byte body: status %d %q, want 413", len(body), resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if resp := signedPatch(t, url, "not-the-secret", body); resp.StatusCode != http.StatusForbidden ||
		resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("wrongly signed oversized body: %d %q, want 403 InvalidSignatureException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
