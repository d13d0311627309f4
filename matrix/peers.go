package matrix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatecheck/gatecheck/profile"
	_ "github.com/gatecheck/gatecheck/suites" // registers the features the peers' profiles claim
)

// The matrix's loopback topology. The fixture and a reference gateway run
// as child processes on fixed ports, so the shipped peer configs and
// profiles (fixtures/peers/<name>/) can name them and a user can start the
// same set by hand (fixtures/peers/README.md). The reference gateway here
// only serves the WebSocket APIs the peers proxy; the matrix's reference
// column is the embedded run.
const (
	FixtureAddr            = "127.0.0.1:18300"
	ReferenceRESTAddr      = "127.0.0.1:18310"
	ReferenceWebSocketAddr = "127.0.0.1:18312"
	ReferenceNoDefaultAddr = "127.0.0.1:18313"
)

// Peer is a third-party gateway the matrix runs: a config template and a
// profile under fixtures/peers/<Name>/, started with its own binary.
type Peer struct {
	Name string
	// Binaries are the names or paths tried in order (Debian's packages).
	Binaries []string
	// Package is the Debian package that provides it.
	Package string
	// Config is the template's file name in the peer's directory; the
	// matrix fills in __FIXTURE__, __PORT__, __WEBSOCKET__, __NODEFAULT__
	// and __DIR__ (a scratch directory).
	Config string
	// Args runs the binary in the foreground on the rendered config.
	Args func(config, dir string) []string
}

// Peers are the shipped peers, in the matrix's column order.
var Peers = []Peer{
	{Name: "nginx", Binaries: []string{"nginx", "/usr/sbin/nginx"}, Package: "nginx-light", Config: "nginx.conf",
		Args: func(config, dir string) []string {
			return []string{"-c", config, "-e", filepath.Join(dir, "error.log")}
		}},
	{Name: "haproxy", Binaries: []string{"haproxy", "/usr/sbin/haproxy"}, Package: "haproxy", Config: "haproxy.cfg",
		Args: func(config, _ string) []string { return []string{"-db", "-f", config} }},
	{Name: "caddy", Binaries: []string{"caddy", "/usr/bin/caddy"}, Package: "caddy", Config: "Caddyfile",
		Args: func(config, _ string) []string { return []string{"run", "--config", config, "--adapter", "caddyfile"} }},
}

// PeerNamed returns the shipped peer called name.
func PeerNamed(name string) (Peer, bool) {
	for _, p := range Peers {
		if p.Name == name {
			return p, true
		}
	}
	return Peer{}, false
}

// Binary is the peer's executable, or an error naming the package to
// install.
func (p Peer) Binary() (string, error) {
	for _, b := range p.Binaries {
		if path, err := exec.LookPath(b); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s is not installed (Debian: apt-get install -y %s)", p.Name, p.Package)
}

// Dir is the peer's directory under the project's fixtures.
func (p Peer) Dir(root string) string { return filepath.Join(root, "fixtures", "peers", p.Name) }

// ProfilePath is the peer's shipped profile.
func (p Peer) ProfilePath(root string) string { return filepath.Join(p.Dir(root), "profile.yaml") }

// ExpectedPath is the peer's pinned expectations.
func (p Peer) ExpectedPath(root string) string { return filepath.Join(p.Dir(root), "expected.json") }

// ListenAddrs are where the peer's profile says it listens: target.restURL
// (also its main WebSocket API) and, when set, target.websocketNoDefaultURL.
func (p Peer) ListenAddrs(root string) (rest, noDefault string, err error) {
	prof, err := profile.LoadFile(p.ProfilePath(root))
	if err != nil {
		return "", "", err
	}
	host := func(field, raw string) (string, error) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%s: %s %q is not a URL", p.ProfilePath(root), field, raw)
		}
		return u.Host, nil
	}
	if rest, err = host("target.restURL", prof.Target.RestURL); err != nil {
		return "", "", err
	}
	if prof.Target.WebSocketNoDefaultURL != "" {
		if noDefault, err = host("target.websocketNoDefaultURL", prof.Target.WebSocketNoDefaultURL); err != nil {
			return "", "", err
		}
	}
	return rest, noDefault, nil
}

// Running is a started peer.
type Running struct {
	Peer Peer
	Addr string
	Log  string // the peer's stderr and stdout
	proc *child
}

// Start renders the peer's config into dir and starts it, waiting (bounded
// by startTimeout) until its listen address accepts connections.
func (p Peer) Start(ctx context.Context, root, dir string) (*Running, error) {
	bin, err := p.Binary()
	if err != nil {
		return nil, err
	}
	// Absolute: the peer runs in dir and would resolve a relative config
	// path against it (nginx: against its own prefix).
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	addr, noDefault, err := p.ListenAddrs(root)
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	_, noDefaultPort, _ := net.SplitHostPort(noDefault)
	tmpl, err := os.ReadFile(filepath.Join(p.Dir(root), p.Config))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := strings.NewReplacer("__FIXTURE__", FixtureAddr, "__PORT__", port, "__WEBSOCKET__", ReferenceWebSocketAddr,
		"__NODEFAULT__", ReferenceNoDefaultAddr, "__NODEFAULT_PORT__", noDefaultPort, "__DIR__", dir).Replace(string(tmpl))
	config := filepath.Join(dir, p.Config)
	if err := os.WriteFile(config, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	for _, a := range []string{addr, noDefault} {
		if a == "" {
			continue
		}
		if err := refuseBusy(a); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	cmd := exec.Command(bin, p.Args(config, dir)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir) // caddy keeps its state there
	logPath := filepath.Join(dir, p.Name+".log")
	addrs := []string{addr}
	if noDefault != "" {
		addrs = append(addrs, noDefault)
	}
	proc, err := startChild(ctx, cmd, logPath, addrs...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	return &Running{Peer: p, Addr: addr, Log: logPath, proc: proc}, nil
}

// Stop ends the peer: SIGTERM, then SIGKILL after 5 s.
func (r *Running) Stop() {
	if r != nil {
		r.proc.stop()
	}
}

// refuseBusy fails when something already listens on addr: the run would
// test it instead of the peer.
func refuseBusy(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return nil
	}
	c.Close()
	return fmt.Errorf("%s is already in use; stop what listens there (the matrix uses fixed loopback ports, fixtures/peers/README.md)", addr)
}

// errExited is a process that ended before it listened.
var errExited = errors.New("the process exited before it listened")

// WaitListening polls addr until it accepts a connection, the process
// ends (exited closes) or ctx ends.
func WaitListening(ctx context.Context, addr string, exited <-chan struct{}) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
