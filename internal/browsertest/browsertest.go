// Package browsertest finds the headless Chromium the HTML tests render
// pages in (reports' report.html, matrix's matrix.html).
package browsertest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Chromium is the path of a Chromium or Chrome binary. Without one, the
// test is skipped, unless GATECHECK_REQUIRE_BROWSER is set (CI sets it),
// when it fails naming the package to install.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil && !strings.HasSuffix(p, "snap/bin/"+name) {
			return p
		}
	}
	if os.Getenv("GATECHECK_REQUIRE_BROWSER") == "" {
		t.Skip("no chromium on PATH (install Debian's chromium; set GATECHECK_REQUIRE_BROWSER=1 to make this a failure)")
	}
	t.Fatal("GATECHECK_REQUIRE_BROWSER is set but no chromium is on PATH: apt-get install -y chromium")
	return ""
}
