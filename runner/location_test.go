package runner

import (
	"strings"
	"testing"
)

func TestProjectLocation(t *testing.T) {
	if !strings.HasSuffix(sourceRoot, "/") || strings.HasSuffix(sourceRoot, "runner/") {
		t.Fatalf("sourceRoot %q is not the project's root", sourceRoot)
	}
	if got := ProjectLocation(sourceRoot + "suites/payload.go:85"); got != "suites/payload.go:85" {
		t.Errorf("got %q, want suites/payload.go:85", got)
	}
	if got := ProjectLocation("/usr/lib/go/src/net/http/client.go:1"); got != "/usr/lib/go/src/net/http/client.go:1" {
		t.Errorf("a location outside the project changed: %q", got)
	}
}
