package restapi

import (
	"crypto/sha256"
	"regexp"
)

// extRestAPIID is the emulator's own extension naming the API's id. AWS
// assigns ids itself (ImportRestApi ignores x- extensions it does not know),
// so the file may fix one to match a deployed copy of the API.
const extRestAPIID = "x-gatecheck-restApiId"

// RestAPIIDLength is the length of an API Gateway REST API id: ten
// lower-case letters and digits, e.g. "a1b2c3d4e5" (as in
// https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com).
const RestAPIIDLength = 10

// resourceIDLength is the length of the emulator's resource ids; AWS's are
// six lower-case letters and digits for every resource but the root, whose
// id has ten (observed in GetResources answers; the emulator uses six for
// all: UNCONFIRMED that any client depends on the difference).
const resourceIDLength = 6

var restAPIIDRE = regexp.MustCompile(`^[a-z0-9]{10}$`)

// idAlphabet is the character set of API Gateway's generated ids.
const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// derivedID is a deterministic id of n (at most 32) characters from
// idAlphabet: the same seed always gives the same id, so profiles and
// scripts can name it.
func derivedID(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return string(b)
}

// DefaultRestAPIID is the id of an API whose definition names none
// (x-gatecheck-restApiId): ten characters derived from its title, e.g.
// "gatecheck-reference" has the id ReferenceRestAPIID.
func DefaultRestAPIID(title string) string { return derivedID(title, RestAPIIDLength) }

// ReferenceRestAPIID is the id of the reference API
// (fixtures/apis/reference.openapi.yaml, title "gatecheck-reference"), as
// the shipped profiles name it in target.restApiId.
const ReferenceRestAPIID = "9ofscx36vo"

// ID is the API's id: $context.apiId, requestContext.apiId in a Lambda
// proxy event, and the {restapi_id} of management paths
// (/restapis/{id}/…). It is x-gatecheck-restApiId when the definition
// sets it, else DefaultRestAPIID of its title.
func (a *API) ID() string {
	if a.RestAPIID != "" {
		return a.RestAPIID
	}
	return DefaultRestAPIID(a.Name)
}

// ResourceID is the id of one of the API's resources
// ($context.resourceId): Resource.ID when Load set it, else derived from
// the API's id and the resource's path.
func (a *API) ResourceID(r *Resource) string {
	if r == nil {
		return ""
	}
	if r.ID != "" {
		return r.ID
	}
	return resourceID(a.ID(), r.Path)
}

func resourceID(apiID, path string) string { return derivedID(apiID+" "+path, resourceIDLength) }

// loadRestAPIID reads x-gatecheck-restApiId, checking it has AWS's shape.
func loadRestAPIID(raw any, api *API, p *problems) {
	id, ok := raw.(string)
	if !ok || !restAPIIDRE.MatchString(id) {
		p.addf(extRestAPIID, "%#v is not a REST API id; use a string of %d lower-case letters and digits, as AWS assigns them (e.g. %q), or remove the field to get one derived from info.title", raw, RestAPIIDLength, DefaultRestAPIID(api.Name))
		return
	}
	api.RestAPIID = id
}
