package mapping

import (
	"encoding/json"

	"github.com/gatecheck/gatecheck/gateway/request"
)

// contextValue is $context.name (name may be dotted: identity.sourceIp),
// typed as templates see it: nil when undefined or not known here.
func (e *Env) contextValue(name string) any {
	c := e.Ctx
	switch name {
	case "requestId":
		return c.ID
	case "extendedRequestId":
		return c.ExtendedID
	case "stage":
		if c.Stage != nil {
			return c.Stage.StageName
		}
	case "resourcePath":
		if c.Method != nil {
			return c.Method.ResourcePath
		}
	case "httpMethod":
		if e.Request != nil {
			return e.Request.Method
		}
	case "path":
		if e.Request != nil {
			return e.Request.URL.Path
		}
	case "protocol":
		return request.Protocol
	case "domainName":
		if e.Request != nil {
			return e.Request.Host
		}
	case "domainPrefix":
		if e.Request != nil {
			apiID := ""
			if c.API != nil {
				apiID = c.API.ID()
			}
			return request.DomainPrefix(e.Request.Host, apiID)
		}
	case "resourceId":
		if c.API != nil {
			return c.API.ResourceID(c.Resource)
		}
	case "apiId":
		if c.API != nil {
			return c.API.ID()
		}
	case "deploymentId":
		return c.DeploymentID
	case "requestTimeEpoch":
		return c.Start.UnixMilli()
	case "requestTime":
		// DOC: CLF-formatted, dd/MMM/yyyy:HH:mm:ss +0000.
		return c.Start.UTC().Format("02/Jan/2006:15:04:05 +0000")
	case "isCanaryRequest":
		return c.IsCanary
	case "identity.sourceIp":
		return c.SourceIP
	case "identity.userAgent":
		if e.Request != nil {
			return e.Request.UserAgent()
		}
	case "identity.apiKeyId":
		if c.APIKeyID != "" {
			return c.APIKeyID
		}
	case "error.message":
		if e.Error != nil {
			return e.Error.Message
		}
	case "error.messageString":
		// A JSON string, quotes included: gateway response templates write
		// {"message":$context.error.messageString}.
		if e.Error != nil {
			b, _ := json.Marshal(e.Error.Message)
			return string(b)
		}
	case "error.responseType":
		if e.Error != nil {
			return e.Error.ResponseType
		}
	case "error.validationErrorString":
		if e.Error != nil {
			return e.Error.ValidationError
		}
	}
	return nil
}

// contextGroups are the $context names that hold further properties.
var contextGroups = map[string]bool{"identity": true, "error": true, "authorizer": true}

// contextObject is $context, or one of its groups ($context.identity).
type contextObject struct {
	g      *globals
	prefix string // "" or "identity." ...
}

func (o *contextObject) Property(name string) (any, error) {
	if o.prefix == "" {
		switch {
		case name == "requestOverride":
			return &requestOverrideObject{o.g.env.overrides()}, nil
		case name == "responseOverride":
			return &responseOverrideObject{o.g.env.overrides()}, nil
		case contextGroups[name]:
			return &contextObject{g: o.g, prefix: name + "."}, nil
		}
	}
	return o.g.env.contextValue(o.prefix + name), nil
}

func (o *contextObject) Method(name string, args []any) (any, error) {
	if name == "get" && len(args) == 1 { // $context.get('stage')
		if k, ok := args[0].(string); ok {
			return o.Property(k)
		}
	}
	return nil, nil
}
