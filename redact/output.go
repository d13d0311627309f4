package redact

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// NewWriter returns a writer that redacts each Write before passing it to
// w. A secret split across two writes is not seen: give it writers that
// write whole messages (Ginkgo's reporter writes one block per call).
func NewWriter(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (r writer) Write(p []byte) (int, error) {
	s := string(p)
	if red := String(s); red != s {
		if _, err := io.WriteString(r.w, red); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return r.w.Write(p)
}

// NewHandler wraps h so that every record's message and its attributes'
// text (strings, errors, Stringers, other values as %+v prints them; in
// groups too) are redacted; a changed attribute becomes a string. A record with
// nothing to redact is passed on as it is, without allocating.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ inner slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	dirty := String(r.Message) != r.Message
	if !dirty {
		r.Attrs(func(a slog.Attr) bool {
			_, changed := redactAttr(a)
			dirty = changed
			return !changed
		})
	}
	if !dirty {
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		a, _ = redactAttr(a)
		out.AddAttrs(a)
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i], _ = redactAttr(a)
	}
	return handler{h.inner.WithAttrs(red)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.inner.WithGroup(name)} }

// redactAttr returns a with its text redacted, and whether that changed it.
// An attribute named like a secret ("apiKey", "password") is redacted
// whole, whatever its value looks like.
func redactAttr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	if v.Kind() != slog.KindGroup && SecretName(a.Key) {
		if v.Kind() == slog.KindString && v.String() == Marker {
			return a, false
		}
		return slog.String(a.Key, Marker), true
	}
	var text string
	switch v.Kind() {
	case slog.KindString:
		text = v.String()
	case slog.KindGroup:
		group := v.Group()
		var red []slog.Attr
		for i, g := range group {
			rg, changed := redactAttr(g)
			if changed && red == nil {
				red = append(make([]slog.Attr, 0, len(group)), group[:i]...)
			}
			if red != nil {
				red = append(red, rg)
			}
		}
		if red == nil {
			return a, false
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}, true
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			text = x.Error()
		case fmt.Stringer:
			text = x.String()
		case []byte:
			text = string(x)
		default:
			// Structs and maps (aws.Credentials, say) print their fields.
			text = fmt.Sprintf("%+v", x)
		}
	default:
		return a, false
	}
	if red := String(text); red != text {
		return slog.String(a.Key, red), true
	}
	return a, false
}
