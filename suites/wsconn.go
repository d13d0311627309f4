package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	gws "github.com/gorilla/websocket"
	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
)

// wsConn is a client connection whose frames a reader goroutine delivers,
// so a check can wait for a frame with a bound without breaking the
// connection (gorilla's read deadlines are fatal to it).
type wsConn struct {
	*gws.Conn
	frames   chan string
	done     chan struct{} // closed when the reader stops
	err      error         // why it stopped; read after done
	overflow atomic.Bool   // a frame was dropped: the check cannot judge loss
}

func newWSConn(c *gws.Conn) *wsConn {
	w := &wsConn{Conn: c, frames: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				w.err = err
				return
			}
			select {
			case w.frames <- string(msg):
			default: // a check that stops reading must not pin this goroutine
				w.overflow.Store(true)
			}
		}
	}()
	return w
}

// next returns the next frame, or fails the check after d.
func (w *wsConn) next(t *conformance.T, d time.Duration, what string) string {
	t.Expect(w.overflow.Load()).To(BeFalse(), "more than %d frames were waiting unread: frames were dropped by the check itself", cap(w.frames))
	select {
	case f := <-w.frames:
		return f
	case <-w.done:
		select {
		case f := <-w.frames:
			return f
		default:
		}
		t.Expect(w.err).NotTo(HaveOccurred(), "the connection closed while waiting for %s", what)
	case <-time.After(d):
		t.Expect(fmt.Errorf("no frame within %v", d)).NotTo(HaveOccurred(), "waiting for %s", what)
	case <-t.Ctx.Done():
		t.Expect(t.Ctx.Err()).NotTo(HaveOccurred(), "waiting for %s", what)
	}
	return ""
}

// closed waits until the server closes the connection and returns the
// close code (0 if it ended without a close frame).
func (w *wsConn) closed(t *conformance.T, d time.Duration, what string) int {
	select {
	case <-w.done:
	case <-time.After(d):
		t.Expect(fmt.Errorf("still open after %v", d)).NotTo(HaveOccurred(), what)
	}
	var ce *gws.CloseError
	if errors.As(w.err, &ce) {
		return ce.Code
	}
	return 0
}

func (w *wsConn) send(t *conformance.T, v any) {
	b, ok := v.([]byte)
	if !ok {
		var err error
		b, err = json.Marshal(v)
		t.Expect(err).NotTo(HaveOccurred())
	}
	t.Expect(w.WriteMessage(gws.TextMessage, b)).To(Succeed(), "sending a message")
}

// shut closes the connection cleanly and waits for the reader.
func (w *wsConn) shut() {
	_ = w.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(time.Second))
	select {
	case <-w.done:
	case <-time.After(2 * time.Second):
	}
	_ = w.Close()
	<-w.done
}

// poll returns the next frame, or false when none came within d; the
// connection ending meanwhile fails the check.
func (w *wsConn) poll(t *conformance.T, d time.Duration, what string) (string, bool) {
	t.Expect(w.overflow.Load()).To(BeFalse(), "more than %d frames were waiting unread: frames were dropped by the check itself", cap(w.frames))
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case f := <-w.frames:
		return f, true
	case <-w.done:
		select {
		case f := <-w.frames:
			return f, true
		default:
		}
		t.Expect(w.err).NotTo(HaveOccurred(), "the connection closed while waiting for %s", what)
	case <-timer.C:
	case <-t.Ctx.Done():
		t.Expect(t.Ctx.Err()).NotTo(HaveOccurred(), "waiting for %s", what)
	}
	return "", false
}
