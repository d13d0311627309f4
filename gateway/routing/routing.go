// Package routing matches /{stage}/{resource path} to a stage, a resource and
// a method, with {param} and greedy {proxy+} path variables. Anything that
// does not match (path, method or stage) gets 403 "Missing Authentication
// Token" as on API Gateway (spec §9, §13.1).
package routing

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatecheck/gatecheck/gateway/canary"
	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// StageLookup is the first routing stage: it finds the stage named by the
// path's first segment and sets the stage's deployment and variables. The
// canary selector runs next (it may switch the request to the canary's
// deployment), then Resources matches the rest of the path.
type StageLookup struct {
	api       *restapi.API
	stages    *canary.Stages // live: the management API may update them
	responder *gatewayresponse.Responder
	next      http.Handler
}

// Resources is the second routing stage: it matches the path below the
// stage against the resources of the request's deployment.
type Resources struct {
	def       *tree
	byID      map[string]*tree // deployments with their own definition
	responder *gatewayresponse.Responder
	next      http.Handler
}

// Deployments are API snapshots by deployment id (spec §7: a deployment is
// an immutable snapshot of the API). A deployment id not listed is served
// by the default definition.
type Deployments map[string]*restapi.API

type tree struct {
	api  *restapi.API
	root *node
}

func newTree(api *restapi.API) *tree {
	t := &tree{api: api, root: &node{}}
	for _, res := range api.Resources {
		t.root.insert(res)
	}
	return t
}

type node struct {
	literals map[string]*node
	variable *node
	varName  string
	greedy   *restapi.Resource
	greedyNm string
	resource *restapi.Resource
}

// New builds both routing stages back to back, for a gateway without
// canaries. The API must have been validated by restapi.Load.
func New(api *restapi.API, stages *canary.Stages, responder *gatewayresponse.Responder, next http.Handler) http.Handler {
	return NewStageLookup(api, stages, responder, NewResources(api, nil, responder, next))
}

// NewStageLookup returns the stage lookup for api's stages.
func NewStageLookup(api *restapi.API, stages *canary.Stages, responder *gatewayresponse.Responder, next http.Handler) *StageLookup {
	return &StageLookup{api: api, stages: stages, responder: responder, next: next}
}

// NewResources returns the resource matcher: def for every deployment not
// in deployments.
func NewResources(def *restapi.API, deployments Deployments, responder *gatewayresponse.Responder, next http.Handler) *Resources {
	r := &Resources{def: newTree(def), byID: make(map[string]*tree, len(deployments)), responder: responder, next: next}
	for id, api := range deployments {
		r.byID[id] = newTree(api)
	}
	return r
}

func (n *node) insert(res *restapi.Resource) {
	cur := n
	if res.Path != "/" {
		for _, part := range strings.Split(strings.TrimPrefix(res.Path, "/"), "/") {
			switch {
			case strings.HasSuffix(part, "+}"):
				cur.greedy, cur.greedyNm = res, part[1:len(part)-2]
				return
			case strings.HasPrefix(part, "{"):
				if cur.variable == nil {
					cur.variable = &node{}
				}
				cur.varName = part[1 : len(part)-1]
				cur = cur.variable
			default:
				if cur.literals == nil {
					cur.literals = map[string]*node{}
				}
				next := cur.literals[part]
				if next == nil {
					next = &node{}
					cur.literals[part] = next
				}
				cur = next
			}
		}
	}
	cur.resource = res
}

// match finds the resource and method for method and the path segments.
// Literals take precedence over variables, which take precedence over a
// greedy variable, backtracking when a branch fails; a branch also fails
// when its resource declares neither the method nor ANY, so a less
// specific sibling that has it serves the request. API Gateway routes on
// the (resource, method) pair: with /{proxy+} ANY and /items GET,
// POST /items goes to /{proxy+} with proxy "items" (evidence topic 7,
// AWS-REC: LocalStack TestApigatewayRouting::
// test_routing_with_hardcoded_resource_sibling_order, validated
// 2024-02-24 — OPTIONS /test is served by a sibling /{proxy+} OPTIONS while
// /test has only POST). Path parameters are set only along the branch that
// matched.
func (n *node) match(segs []string, method string, params map[string]string) (*restapi.Resource, *restapi.Method) {
	if len(segs) == 0 {
		if n.resource == nil {
			return nil, nil
		}
		if m := n.resource.Method(method); m != nil {
			return n.resource, m
		}
		return nil, nil
	}
	if next := n.literals[segs[0]]; next != nil {
		if res, m := next.match(segs[1:], method, params); m != nil {
			return res, m
		}
	}
	if n.variable != nil {
		if res, m := n.variable.match(segs[1:], method, params); m != nil {
			params[n.varName] = segs[0]
			return res, m
		}
	}
	if n.greedy != nil {
		if m := n.greedy.Method(method); m != nil {
			params[n.greedyNm] = strings.Join(segs, "/")
			return n.greedy, m
		}
	}
	return nil, nil
}

func (s *StageLookup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	c.API = s.api
	escaped := r.URL.EscapedPath()
	if needsNormalizing(escaped) {
		normalized, ok := normalizePath(escaped)
		if !ok {
			s.responder.Write(w, r, gatewayresponse.BadRequestParameters, InvalidPathMessage)
			return
		}
		if normalized != escaped {
			// Every later stage (routing, cache keys, the integration's
			// path and the Lambda event) sees the resolved path.
			decoded, _ := url.PathUnescape(normalized) // each segment decoded above
			r.URL.Path, r.URL.RawPath, escaped = decoded, normalized, normalized
		}
	}
	path := strings.TrimPrefix(escaped, "/")
	stageName, _, _ := strings.Cut(path, "/")
	stage := s.stages.Get(unescape(stageName))
	if stage == nil {
		notFound(s.responder, w, r)
		return
	}
	c.Stage, c.StageVariables, c.DeploymentID = stage, stage.Variables, stage.DeploymentID
	s.next.ServeHTTP(w, r)
}

func (s *Resources) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	t := s.byID[c.DeploymentID]
	if t == nil {
		t = s.def
	}
	c.API = t.api
	_, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	// Empty segments do not count for matching: a trailing slash is
	// ignored and GET /stage//hardcoded routes to /hardcoded (evidence
	// topic 7, AWS-REC: LocalStack test_lambda_aws_proxy_integration,
	// 2024-07/08: resourcePath "/hardcoded", pathParameters.proxy
	// "test-path" for /test-path/). That an empty segment inside a greedy
	// value is dropped too ("a//b" gives proxy "a/b") is UNCONFIRMED.
	var segs []string
	if rest != "" {
		segs = strings.Split(rest, "/")
		kept := segs[:0]
		for _, seg := range segs {
			if seg != "" {
				kept = append(kept, unescape(seg))
			}
		}
		segs = kept
	}
	params := map[string]string{}
	res, m := t.root.match(segs, r.Method, params)
	if m == nil {
		notFound(s.responder, w, r)
		return
	}
	c.Resource, c.Method, c.PathParams = res, m, params
	s.next.ServeHTTP(w, r)
}

func notFound(responder *gatewayresponse.Responder, w http.ResponseWriter, r *http.Request) {
	if auth := r.Header.Get("Authorization"); auth != "" && !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		sum := sha256.Sum256([]byte(auth))
		msg := "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '" + base64.StdEncoding.EncodeToString(sum[:]) + "'."
		responder.Write(w, r, gatewayresponse.IncompleteSignature, msg)
		return
	}
	responder.Write(w, r, gatewayresponse.MissingAuthenticationToken, "")
}

func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
