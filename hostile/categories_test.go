package hostile

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// A category fails when the answer is outside its allowed set: here a
// gateway that answers every request with 500.
func TestACategoryFailsOnAnAnswerOutsideItsSet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	targets := ReferenceTargets(addr, addr, addr, addr)
	rep, err := Run(context.Background(), targets, Options{Requests: 40, Categories: []Category{Methods()}, ProbeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Categories[0]
	if rep.Passed() || c.Passed() {
		t.Fatalf("the methods category passed against a server answering 500: %+v", c.Histogram)
	}
	if c.Histogram["500"] == 0 || c.FailureCount != c.Histogram["500"] {
		t.Errorf("histogram %v, %d failures: every 500 should be one", c.Histogram, c.FailureCount)
	}
	var out strings.Builder
	rep.Print(&out)
	if !strings.Contains(out.String(), "FAILED") || !strings.Contains(out.String(), "got 500") {
		t.Errorf("the report does not show the failure:\n%s", out.String())
	}
}

// A server that never answers is a hang: the probe's deadline ends it and
// the category fails with "timeout".
func TestAHangFailsAtTheProbeDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c // accepted, never answered
		}
	}()
	defer func() {
		ln.Close()
		close(held)
		for c := range held {
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	start := time.Now()
	rep, err := Run(context.Background(), ReferenceTargets(addr, addr, addr, addr),
		Options{Requests: 4, Workers: 4, Categories: []Category{LargeBodies()}, ProbeTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Categories[0]; c.Passed() || c.Histogram[Timeout] != 4 {
		t.Errorf("histogram %v: want 4 timeouts and a failure", c.Histogram)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the run took %v: the probe deadline did not end the hangs", d)
	}
}

// Every probe's allowed answers are in its category's table, and every
// category and answer has a line in the package table (doc.go).
func TestProbesStayWithinTheirCategoryTable(t *testing.T) {
	table := docTable(t)
	env := &Env{Targets: ReferenceTargets("gw", "mg", "ws", "fx"), Nonce: "n", seed: 1}
	for _, c := range All() {
		labels, ok := table[c.Name]
		if !ok {
			t.Errorf("category %s has no block in the table of doc.go", c.Name)
		}
		for _, l := range c.Allowed {
			if ok && !slices.Contains(labels, l) {
				t.Errorf("category %s: answer %q has no line in its block of doc.go (%v)", c.Name, l, labels)
			}
		}
		delete(table, c.Name)
		for i := range 300 {
			p := c.New(i, env)
			if len(p.Allowed) == 0 || p.Send == nil || p.Request == "" {
				t.Fatalf("%s probe %d is incomplete: %+v", c.Name, i, p)
			}
			for _, l := range p.Allowed {
				if !slices.Contains(c.Allowed, l) {
					t.Errorf("%s probe %d (%s) allows %q, not in the category's table %v", c.Name, i, p.Request, l, c.Allowed)
				}
			}
		}
	}
	for name := range table {
		t.Errorf("doc.go documents a category %q that All() does not run", name)
	}
}

// docTable reads the table of doc.go: category → answer labels.
func docTable(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	category := regexp.MustCompile(`^//\t([a-z0-9-]+): `)
	answer := regexp.MustCompile(`^//\t {4}(\S+(?: \S+)?) {2,}`)
	table := map[string][]string{}
	var current string
	for _, line := range strings.Split(string(doc), "\n") {
		if m := category.FindStringSubmatch(line); m != nil {
			current = m[1]
			table[current] = nil
		} else if m := answer.FindStringSubmatch(line); m != nil && current != "" {
			table[current] = append(table[current], m[1])
		}
	}
	return table
}

// The management probes send their bodies as UpdateStage patches: none
// may decode, or a probe would change the stage.
func TestInvalidPatchBodiesNeverDecode(t *testing.T) {
	var patch struct {
		PatchOperations []struct {
			Op, Path, Value, From string
		} `json:"patchOperations"`
	}
	for _, b := range InvalidPatchBodies {
		if err := json.NewDecoder(strings.NewReader(b)).Decode(&patch); err == nil {
			t.Errorf("%.40q decodes as a patch document", b)
		}
	}
}

func TestAllocateSharesByWeightWithinCaps(t *testing.T) {
	cats := []Category{{Name: "a", Weight: 3}, {Name: "b", Weight: 1}, {Name: "c", Weight: 1, MaxProbes: 5}}
	got := allocate(1000, cats)
	if got[2] != 5 || got[0]+got[1]+got[2] < 1000 || got[0] < 3*got[1]-3 || got[0] > 3*got[1]+3 {
		t.Errorf("allocate(1000) = %v: want c capped at 5, the rest 3:1, 1000 in all", got)
	}
	if got := allocate(2, cats); got[0] < 1 || got[1] < 1 || got[2] < 1 {
		t.Errorf("allocate(2) = %v: every category gets a probe", got)
	}
}
