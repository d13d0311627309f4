package request

import (
	"net"
	"strings"
)

// Protocol is what API Gateway reports as $context.protocol and the Lambda
// event's requestContext.protocol: HTTP/1.1, for HTTP/2 clients too (spec
// §11; AWS-REC test_lambda_aws_proxy_integration, 2024-07-10).
const Protocol = "HTTP/1.1"

// DomainPrefix is the first label of the host the client called
// ($context.domainPrefix; on AWS, the API's id in
// {apiId}.execute-api.{region}.amazonaws.com, AWS-REC as above). A client
// of the emulator calls an IP address or a one-label name such as
// localhost, which has no such label: then it is the API's id, as AWS's
// would be.
func DomainPrefix(host, apiID string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "" || net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return apiID
	}
	label, _, _ := strings.Cut(host, ".")
	return label
}
