package redact

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

type credentials struct{ AccessKeyID, SecretAccessKey string }

type stringer string

func (s stringer) String() string { return string(s) }

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil)))
	log = log.With("target", "http://u:pw@127.0.0.1:1").WithGroup("g")
	log.Info("GET http://u:pw@h/x failed: x-api-key:k1",
		"err", errors.New("x-amz-security-token:"+token),
		"str", "Signature="+sig,
		"stringer", stringer("Authorization: Basic abc"),
		"any", credentials{"AKIAEXAMPLE", "s3cr3t/key"},
		"bytes", []byte("x-api-key: k2"),
		slog.Group("nested", "url", "ws://u:pw@h/ws", "n", 3),
		"clean", "nothing here", "n", 7)
	out := buf.String()
	for _, secret := range []string{"pw@", token, sig, "abc", "s3cr3t", "k1", "k2"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line leaks %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"target=http://REDACTED@127.0.0.1:1", `msg="GET http://REDACTED@h/x failed: x-api-key:REDACTED"`,
		"g.err=x-amz-security-token:REDACTED", `g.str="Signature=REDACTED"`, `g.stringer="Authorization: REDACTED"`,
		`g.any="{AccessKeyID:AKIAEXAMPLE SecretAccessKey:REDACTED}"`, `g.bytes="x-api-key: REDACTED"`, "g.nested.url=ws://REDACTED@h/ws", "g.nested.n=3",
		`g.clean="nothing here"`, "g.n=7"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line lacks %q:\n%s", want, out)
		}
	}
}

func TestHandlerWrapsOnce(t *testing.T) {
	h := NewHandler(slog.DiscardHandler)
	if NewHandler(h) != h {
		t.Error("wrapping a redacting handler again adds a second pass")
	}
}

// countingHandler records what reaches the wrapped handler.
type countingHandler struct{ records []slog.Record }

func (c *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *countingHandler) WithGroup(string) slog.Handler            { return c }

func (c *countingHandler) Handle(_ context.Context, r slog.Record) error {
	c.records = append(c.records, r)
	return nil
}

func TestHandlerCleanRecordAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	allocs := func(h slog.Handler) float64 {
		log := slog.New(h)
		return testing.AllocsPerRun(100, func() {
			// As many attributes as the gateway's access log: more than a
			// Record holds inline, so a rebuilt record would allocate.
			log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
				slog.String("extendedRequestId", "Xyz0="), slog.String("sourceIp", "127.0.0.1"), slog.String("httpMethod", "GET"),
				slog.String("stage", "test"), slog.String("resourcePath", "/inspect"), slog.String("path", "/test/inspect"),
				slog.Int("status", 200), slog.Int("responseLength", 120), slog.Int64("responseLatency", 3))
		})
	}
	inner := &countingHandler{records: make([]slog.Record, 0, 500)}
	base, wrapped := allocs(inner), allocs(NewHandler(inner))
	if wrapped != base {
		t.Errorf("a clean access-log record costs %v allocations through the redacting handler, %v without", wrapped, base)
	}
	if len(inner.records) == 0 || inner.records[len(inner.records)-1].Message != "request" {
		t.Fatalf("records not passed on: %d", len(inner.records))
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := "  [FAILED] UpdateUsage: x-amz-security-token:" + token + "\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v; want %d, nil (the caller's bytes, not the redacted length)", n, err, len(in))
	}
	if _, err := w.Write([]byte("clean\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "  [FAILED] UpdateUsage: x-amz-security-token:REDACTED\nclean\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

// An attribute named like a secret is redacted whole, whatever its value.
func TestHandlerRedactsAttributesNamedLikeSecrets(t *testing.T) {
	var buf strings.Builder
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil)))
	log.Info("calling", "apiKey", "plainvalue123", "password", "hunter2hunter2", "route", "/keyed")
	out := buf.String()
	for _, secret := range []string{"plainvalue123", "hunter2hunter2"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line keeps %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "route=/keyed") {
		t.Errorf("ordinary attributes lost: %s", out)
	}
}
