package matrix

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freePort is a loopback port nothing listens on.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A peer is started from its template in a scratch directory given as a
// relative path (as `make matrix` gives one), listens on both of its
// profile's ports, and is gone, with the process it forked, after Stop.
func TestPeerStartsFromARelativeDirectoryAndStops(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 plays the peer here; not installed")
	}
	root := t.TempDir()
	rest, noDefault := freePort(t), freePort(t)
	dir := filepath.Join(root, "fixtures", "peers", "fake")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The "gateway": a parent and a forked worker, each serving a port,
	// like nginx's master and worker.
	script := `import os, socket, time
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(); return s
open("__DIR__/started", "w").write("__FIXTURE__")
a = serve(__PORT__)
if os.fork() == 0:
    b = serve(__NODEFAULT_PORT__)
    while True: time.sleep(1)
while True: time.sleep(1)
`
	profile := fmt.Sprintf("version: 1\nname: fake\ntarget: {restURL: http://127.0.0.1:%d, websocketNoDefaultURL: ws://127.0.0.1:%d, stage: test}\nfeatures: {}\n", rest, noDefault)
	for name, data := range map[string]string{"fake.py": script, "profile.yaml": profile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := Peer{Name: "fake", Binaries: []string{"python3"}, Package: "python3", Config: "fake.py",
		Args: func(config, _ string) []string { return []string{config} }}
	wd, _ := os.Getwd()
	scratch, err := filepath.Rel(wd, filepath.Join(root, "out", "fake", "server"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := p.Start(ctx, root, scratch)
	if err != nil {
		t.Fatalf("starting from a relative directory: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "out", "fake", "server", "started"))
	if err != nil || string(b) != FixtureAddr || strings.Contains(string(b), "__") {
		t.Fatalf("the config's placeholders: %q, %v", b, err)
	}
	for _, port := range []int{rest, noDefault} {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d: %v", port, err)
		}
		c.Close()
	}
	r.Stop()
	for _, port := range []int{rest, noDefault} {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still served after Stop: a process of the peer's group outlived it", port)
		}
	}
	// Started again on a busy port, it is refused with the port named.
	blocker, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", rest))
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	if _, err := p.Start(ctx, root, scratch); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("a busy port: %v", err)
	}
}
