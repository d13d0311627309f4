package hostile

import (
	"context"
	"errors"
	"fmt"
)

// CheckServing sends normal traffic and reports every listener that does
// not serve it: a GET through the gateway that the fixture must answer, a
// signed management call, and a WebSocket message whose reply must
// arrive. Run it after the probes: hostile input must leave the gateway
// serving.
func CheckServing(ctx context.Context, t Targets) error {
	env := &Env{Targets: t}
	var errs []error
	path := "/" + t.Stage + "/inspect/after-hostile"
	if o := single(ctx, t.Gateway, rawGet(path), inspectedAt(path, t.Stage)); o.Label != "200" || o.Problem != "" {
		errs = append(errs, fmt.Errorf("GET %s through the gateway: %s %s", path, o.Label, o.Problem))
	}
	mgmt := signedRequest{method: "GET", addr: t.Management, path: "/usageplans", service: "apigateway"}.raw(env)
	if o := single(ctx, t.Management, mgmt, func(r *response) string { return "" }); o.Label != "200" {
		errs = append(errs, fmt.Errorf("signed GET /usageplans on the management API: %s", o.Label))
	}
	msg := `{"action":"reply","data":"after-hostile"}`
	if o := sendFrames(ctx, env, textFrame(msg).bytes(env.rng("serving", 0)), true, msg); o.Label != WSReply || o.Problem != "" {
		errs = append(errs, fmt.Errorf("a WebSocket message on stage %s: %s %s", t.WebSocketStage, o.Label, o.Problem))
	}
	return errors.Join(errs...)
}
