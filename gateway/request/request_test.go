package request_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gatecheck/gatecheck/gateway/request"
)

func TestWithAndFrom(t *testing.T) {
	c := &request.Context{ID: "x"}
	r := request.With(httptest.NewRequest("GET", "/", nil), c)
	if request.From(r.Context()) != c {
		t.Error("From does not return the attached context")
	}
	// Stages filling in fields share the one value.
	request.From(r.Context()).Body = []byte("b")
	if string(c.Body) != "b" {
		t.Error("context not shared")
	}
	empty := request.From(context.Background())
	if empty == nil || empty.ID != "" || empty.Method != nil {
		t.Errorf("From without a context = %+v", empty)
	}
	if request.From(context.Background()) == empty {
		t.Error("each detached From must return a fresh context")
	}
}
