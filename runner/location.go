package runner

import (
	"path/filepath"
	"runtime"
	"strings"
)

// sourceRoot is the directory of gatecheck's source tree as this binary
// records it: an absolute path, or the module path in a -trimpath build
// (runtime.Caller gives "github.com/gatecheck/gatecheck/runner/…" then).
var sourceRoot = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	return filepath.Dir(filepath.Dir(file)) + "/"
}()

// ProjectLocation makes a failure's file:line relative to the project
// (suites/payload.go:85), whether the binary was built with -trimpath or
// not, so reports do not carry a build machine's directories and two
// machines' reports diff cleanly. A location elsewhere is kept whole.
func ProjectLocation(loc string) string {
	if sourceRoot != "/" && sourceRoot != "" {
		if rel, ok := strings.CutPrefix(loc, sourceRoot); ok {
			return rel
		}
	}
	return loc
}
