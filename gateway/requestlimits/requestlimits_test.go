package requestlimits_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/requestlimits"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

func stage(t *testing.T, called *bool) http.Handler {
	t.Helper()
	s, err := requestlimits.New(requestlimits.MaxHeaderValueBytes, requestlimits.MaxURLLengthRegional,
		gatewayresponse.New(&restapi.API{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { *called = true }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHeaderValuesAtAndOverTheQuota(t *testing.T) {
	for _, tc := range []struct {
		total  int // header values in all, Host included
		status int
	}{{requestlimits.MaxHeaderValueBytes, 200}, {requestlimits.MaxHeaderValueBytes + 1, 431}, {66000, 431}} {
		called := false
		req := httptest.NewRequest(http.MethodGet, "/test/x", nil)
		req.Host = "gw"
		// Split over two headers: the quota is on all values together.
		half := (tc.total - len(req.Host)) / 2
		req.Header.Set("X-A", strings.Repeat("a", half))
		req.Header.Set("X-B", strings.Repeat("b", tc.total-len(req.Host)-half))
		rec := httptest.NewRecorder()
		stage(t, &called).ServeHTTP(rec, req)
		if rec.Code != tc.status || called != (tc.status == 200) {
			t.Errorf("%d bytes of header values: status %d, next called %v; want %d", tc.total, rec.Code, called, tc.status)
		}
		if tc.status == 431 && rec.Body.String() != `{"message":"Request Header Fields Too Large"}` {
			t.Errorf("431 body %s", rec.Body)
		}
	}
}

func TestURLAtAndOverTheQuota(t *testing.T) {
	for _, tc := range []struct {
		length, status int
	}{{requestlimits.MaxURLLengthRegional, 200}, {requestlimits.MaxURLLengthRegional + 1, 414}, {65536, 414}} {
		called := false
		target := "/test/x?q=" + strings.Repeat("q", tc.length-len("/test/x?q="))
		req := httptest.NewRequest(http.MethodGet, target, nil)
		rec := httptest.NewRecorder()
		stage(t, &called).ServeHTTP(rec, req)
		if rec.Code != tc.status || called != (tc.status == 200) {
			t.Errorf("%d-character URL: status %d, next called %v; want %d", tc.length, rec.Code, called, tc.status)
		}
		if tc.status == 414 && rec.Body.String() != `{"message":"Request URI too long"}` {
			t.Errorf("414 body %s", rec.Body)
		}
	}
}

func TestNewRefusesNonPositiveLimits(t *testing.T) {
	if _, err := requestlimits.New(0, 10, gatewayresponse.New(nil), http.NotFoundHandler()); err == nil {
		t.Error("a zero header limit was accepted")
	}
	if _, err := requestlimits.New(10, -1, gatewayresponse.New(nil), http.NotFoundHandler()); err == nil {
		t.Error("a negative URL limit was accepted")
	}
}
