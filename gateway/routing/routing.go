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

// Stage routes requests for one API.
type Stage struct {
	api       *restapi.API
	stages    *canary.Stages // live: the management API may update them
	root      *node
	responder *gatewayresponse.Responder
	next      http.Handler
}

type node struct {
	literals map[string]*node
	variable *node
	varName  string
	greedy   *restapi.Resource
	greedyNm string
	resource *restapi.Resource
}

// New builds the routing stage. The API must have been validated by restapi.Load.
func New(api *restapi.API, stages *canary.Stages, responder *gatewayresponse.Responder, next http.Handler) *Stage {
	s := &Stage{api: api, stages: stages, root: &node{}, responder: responder, next: next}
	for _, res := range api.Resources {
		s.root.insert(res)
	}
	return s
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

// match walks the segments; literals take precedence over variables, which
// take precedence over a greedy variable, backtracking when a branch fails.
func (n *node) match(segs []string, params map[string]string) *restapi.Resource {
	if len(segs) == 0 {
		return n.resource
	}
	if next := n.literals[segs[0]]; next != nil {
		if r := next.match(segs[1:], params); r != nil {
			return r
		}
	}
	if n.variable != nil && segs[0] != "" {
		if r := n.variable.match(segs[1:], params); r != nil {
			params[n.varName] = segs[0]
			return r
		}
	}
	if n.greedy != nil {
		params[n.greedyNm] = strings.Join(segs, "/")
		return n.greedy
	}
	return nil
}

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	c.API = s.api
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	stageName, rest, _ := strings.Cut(path, "/")
	stage := s.stages.Get(unescape(stageName))
	if stage == nil {
		s.notFound(w, r)
		return
	}
	c.Stage, c.StageVariables, c.DeploymentID = stage, stage.Variables, stage.DeploymentID
	var segs []string
	if rest = strings.TrimSuffix(rest, "/"); rest != "" {
		segs = strings.Split(rest, "/")
		for i, seg := range segs {
			segs[i] = unescape(seg)
		}
	}
	params := map[string]string{}
	res := s.root.match(segs, params)
	if res == nil {
		s.notFound(w, r)
		return
	}
	m := res.Method(r.Method)
	if m == nil {
		s.notFound(w, r)
		return
	}
	c.Resource, c.Method, c.PathParams = res, m, params
	s.next.ServeHTTP(w, r)
}

// notFound answers an unmatched request. With a non-SigV4 Authorization
// header API Gateway tries to parse it as SigV4 first and fails (spec §13.1).
func (s *Stage) notFound(w http.ResponseWriter, r *http.Request) {
	if auth := r.Header.Get("Authorization"); auth != "" && !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		sum := sha256.Sum256([]byte(auth))
		msg := "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '" + base64.StdEncoding.EncodeToString(sum[:]) + "'."
		s.responder.Write(w, r, gatewayresponse.IncompleteSignature, msg)
		return
	}
	s.responder.Write(w, r, gatewayresponse.MissingAuthenticationToken, "")
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
