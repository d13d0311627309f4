package integration

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gatecheck/gatecheck/gateway/gatewayresponse"
	"github.com/gatecheck/gatecheck/gateway/mapping"
	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// mock renders the request template, whose statusCode selects the
// integration response; no backend is called.
func (s *Stage) mock(r *http.Request, c *request.Context, in *restapi.Integration) (*result, error) {
	env := &mapping.Env{Request: r, Ctx: c}
	body, err := requestBody(in, env, r)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if body != "" {
		var sel struct {
			StatusCode json.Number `json:"statusCode"`
		}
		if err := json.Unmarshal([]byte(body), &sel); err != nil {
			return nil, fail(gatewayresponse.APIConfigurationError, err)
		}
		if sel.StatusCode != "" {
			n, err := strconv.Atoi(sel.StatusCode.String())
			if err != nil {
				return nil, fail(gatewayresponse.APIConfigurationError, err)
			}
			status = n
		}
	}
	res := &result{status: status, header: http.Header{}, body: newBuffer(nil)}
	return mapResponse(in, env, res, strconv.Itoa(status))
}
