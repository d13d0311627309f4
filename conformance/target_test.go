package conformance

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewClientDoesNotFollowRedirects(t *testing.T) {
	elsewhere := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			elsewhere = true
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c := NewClient(&http.Transport{}, 5*time.Second)
	defer c.CloseIdleConnections()
	resp, err := c.Get(srv.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || elsewhere {
		t.Fatalf("status %d, followed: %v; a check must see the gateway's own 302", resp.StatusCode, elsewhere)
	}
}

// Every client a check builds goes through NewClient: a hand-made
// http.Client follows redirects by default (one canary check's did).
func TestChecksBuildClientsWithNewClient(t *testing.T) {
	files, _ := filepath.Glob("../suites/*.go")
	if len(files) == 0 {
		t.Fatal("no suite files found")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, hand := range []string{"http.Client{", "new(http.Client)", "http.DefaultClient", "http.Get(", "http.Post("} {
			if strings.Contains(string(src), hand) {
				t.Errorf("%s uses %s; use conformance.NewClient (or the target's client), which never follows redirects", f, hand)
			}
		}
	}
}

// The report names an artifact relative to the report directory, so the
// directory can be moved or published whole.
func TestArtifactRefIsRelativeToTheReportDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gatecheck-report")
	tt := &T{Target: &Target{ArtifactsDir: filepath.Join(dir, "raw"), ReportDir: dir}}
	if got := tt.ArtifactRef("X.vegeta"); got != "raw/X.vegeta" {
		t.Fatalf("ArtifactRef = %q, want raw/X.vegeta", got)
	}
	if got := tt.ArtifactPath("X.vegeta"); got != filepath.Join(dir, "raw", "X.vegeta") {
		t.Fatalf("ArtifactPath = %q", got)
	}
	if got := (&T{Target: &Target{}}).ArtifactRef("X.vegeta"); got != "" {
		t.Fatalf("no artifacts: %q", got)
	}
}
