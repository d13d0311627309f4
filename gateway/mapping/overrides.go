package mapping

import (
	"fmt"
	"strconv"

	"github.com/gatecheck/gatecheck/gateway/mapping/vtl"
)

// Overrides are what mapping templates set through
// $context.requestOverride and $context.responseOverride (DOC, "Override
// your API's request and response parameters and status codes"): the
// integration request gets the request overrides, the client response
// the response overrides. AWS-REC: #set($context.responseOverride.status
// = 400) in a response template sets the client's status.
type Overrides struct {
	RequestHeader      Params
	RequestPath        Params
	RequestQuerystring Params
	ResponseHeader     Params
	// ResponseStatus replaces the method response's status; 0 if not set.
	ResponseStatus int
}

// Params are overridden parameters, in the order the template set them.
type Params []Param

// Param is one overridden parameter.
type Param struct{ Name, Value string }

// Get returns the value set for name.
func (p Params) Get(name string) (string, bool) {
	for _, kv := range p {
		if kv.Name == name {
			return kv.Value, true
		}
	}
	return "", false
}

func (e *Env) overrides() *Overrides {
	if e.Overrides == nil {
		e.Overrides = &Overrides{}
	}
	return e.Overrides
}

// finalMsg is the error for a second override of one parameter: DOC,
// "Overrides are final. An override may only be applied to each parameter
// once. If you try to override the same parameter multiple times, API
// Gateway returns a 5XX response."
const finalMsg = "%s was already overridden; overrides are final and may be set once"

type requestOverrideObject struct{ o *Overrides }

func (r *requestOverrideObject) Property(name string) (any, error) {
	switch name {
	case "header":
		return &paramsObject{&r.o.RequestHeader, "$context.requestOverride.header"}, nil
	case "path":
		return &paramsObject{&r.o.RequestPath, "$context.requestOverride.path"}, nil
	case "querystring":
		return &paramsObject{&r.o.RequestQuerystring, "$context.requestOverride.querystring"}, nil
	}
	return nil, nil
}

func (r *requestOverrideObject) Method(string, []any) (any, error) { return nil, nil }

type responseOverrideObject struct{ o *Overrides }

func (r *responseOverrideObject) Property(name string) (any, error) {
	switch name {
	case "status":
		if r.o.ResponseStatus == 0 {
			return nil, nil
		}
		return int64(r.o.ResponseStatus), nil
	case "header":
		return &paramsObject{&r.o.ResponseHeader, "$context.responseOverride.header"}, nil
	}
	return nil, nil
}

func (r *responseOverrideObject) Method(string, []any) (any, error) { return nil, nil }

func (r *responseOverrideObject) SetProperty(name string, v any) error {
	if name != "status" {
		return fmt.Errorf("$context.responseOverride.%s cannot be set (use .status or .header.<name>)", name)
	}
	if r.o.ResponseStatus != 0 {
		return fmt.Errorf(finalMsg, "$context.responseOverride.status")
	}
	var code int64
	switch n := v.(type) {
	case int64:
		code = n
	case float64:
		code = int64(n)
	case string:
		code, _ = strconv.ParseInt(n, 10, 64)
	}
	if code < 100 || code > 599 {
		return fmt.Errorf("$context.responseOverride.status %v is not an HTTP status code (100-599)", v)
	}
	r.o.ResponseStatus = int(code)
	return nil
}

// paramsObject is one override map, e.g. $context.requestOverride.header.
type paramsObject struct {
	p    *Params
	name string
}

func (m *paramsObject) Property(name string) (any, error) {
	if v, ok := m.p.Get(name); ok {
		return v, nil
	}
	return nil, nil
}

func (m *paramsObject) SetProperty(name string, v any) error {
	if _, ok := m.p.Get(name); ok {
		return fmt.Errorf(finalMsg, m.name+"."+name)
	}
	s, err := vtl.ToString(v)
	if err != nil {
		return err
	}
	*m.p = append(*m.p, Param{Name: name, Value: s})
	return nil
}

func (m *paramsObject) Method(name string, args []any) (any, error) {
	if name == "put" && len(args) == 2 {
		k, ok := args[0].(string)
		if !ok || args[1] == nil {
			return nil, nil
		}
		return nil, m.SetProperty(k, args[1])
	}
	return vtl.Call(m.view(), name, args...)
}

// view is the overrides as a map, for the read-only map methods.
func (m *paramsObject) view() *vtl.Map {
	v := vtl.NewMap(len(*m.p))
	for _, kv := range *m.p {
		v.Put(kv.Name, kv.Value)
	}
	return v
}

func (m *paramsObject) String() string {
	s, _ := vtl.ToString(m.view())
	return s
}
