package suites_test

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/runner"
)

// TestConformance runs the suites under `go test` / the ginkgo CLI: against
// the embedded reference gateway, or the profile in $GATECHECK_PROFILE.
func TestConformance(t *testing.T) {
	target, stop, err := runner.Prepare(context.Background(), os.Getenv("GATECHECK_PROFILE"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	conformance.SetTarget(target)
	RunSpecs(t, "gatecheck conformance")
}
