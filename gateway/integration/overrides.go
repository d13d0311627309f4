package integration

import (
	"net/http"

	"github.com/gatecheck/gatecheck/gateway/mapping"
)

// The request and response overrides mapping templates set through
// $context.requestOverride and $context.responseOverride. Overrides are
// final (DOC): they win over requestParameters and responseParameters.

// requestPathOverride is $context.requestOverride.path.<name>.
func requestPathOverride(env *mapping.Env, name string) (string, bool) {
	if env.Overrides == nil {
		return "", false
	}
	return env.Overrides.RequestPath.Get(name)
}

// applyRequestOverrides sets the overridden headers and query string
// parameters on the integration request.
func applyRequestOverrides(req *http.Request, env *mapping.Env) {
	o := env.Overrides
	if o == nil {
		return
	}
	for _, p := range o.RequestHeader {
		req.Header.Set(p.Name, p.Value)
	}
	if len(o.RequestQuerystring) > 0 {
		q := req.URL.Query()
		for _, p := range o.RequestQuerystring {
			q.Set(p.Name, p.Value)
		}
		req.URL.RawQuery = q.Encode()
	}
}

// applyResponseOverrides sets the overridden headers on the method
// response and returns its status, overridden or not.
func applyResponseOverrides(status int, header http.Header, o *mapping.Overrides) int {
	if o == nil {
		return status
	}
	for _, p := range o.ResponseHeader {
		header.Set(p.Name, p.Value)
	}
	if o.ResponseStatus != 0 {
		return o.ResponseStatus
	}
	return status
}
