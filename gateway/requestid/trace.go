package requestid

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Trace headers (X-Amzn-Trace-Id). Evidence: AWS-REC, LocalStack
// test_apigateway_common.py::test_invocation_trace_id (recorded against AWS
// 2024-08-07) and the X-Ray developer guide (xray-services-apigateway):
//   - a request without the header gets one: "Root=1-<8 hex epoch
//     seconds>-<24 hex>" (DOC; AWS's sample proxy events carry the Root
//     alone);
//   - a client header with Root and Parent is kept verbatim (AWS-REC: the
//     response contains the exact string sent);
//   - a client header with a Root but no Parent keeps the Root and gets a
//     new "Parent=<16 hex>" as its second field (AWS-REC). Sampled is the
//     client's, else "0": what AWS sends there is not recorded
//     (UNCONFIRMED; "0" is LocalStack's reading, OBS). Other fields the
//     client sent follow.
//   - a header without a Root is not a trace header: it is replaced as if
//     absent (UNCONFIRMED).

// TraceHeader returns the X-Amzn-Trace-Id API Gateway forwards to the
// integration (and returns, see integration) for a request whose client
// sent client ("" if none), at epoch seconds.
func TraceHeader(client string, epoch int64) string {
	if client == "" {
		return newTraceID(epoch)
	}
	var root, parent, sampled string
	for field := range strings.SplitSeq(client, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch {
		case strings.EqualFold(k, "Root"):
			root = v
		case strings.EqualFold(k, "Parent"):
			parent = v
		case strings.EqualFold(k, "Sampled"):
			sampled = v
		}
	}
	switch {
	case root == "":
		return newTraceID(epoch)
	case parent != "":
		return client
	}
	if sampled == "" {
		sampled = "0"
	}
	var b strings.Builder
	b.Grow(len(client) + len(";Parent=0123456789abcdef;Sampled=0"))
	b.WriteString("Root=")
	b.WriteString(root)
	b.WriteString(";Parent=")
	b.WriteString(newParentID())
	b.WriteString(";Sampled=")
	b.WriteString(sampled)
	for field := range strings.SplitSeq(client, ";") {
		field = strings.TrimSpace(field)
		k, _, _ := strings.Cut(field, "=")
		if field == "" || strings.EqualFold(k, "Root") || strings.EqualFold(k, "Sampled") {
			continue
		}
		b.WriteByte(';')
		b.WriteString(field)
	}
	return b.String()
}

// newTraceID makes an X-Ray trace header: Root=1-<epoch hex>-<96-bit hex>.
func newTraceID(epoch int64) string {
	var b [4 + 12]byte
	b[0], b[1], b[2], b[3] = byte(epoch>>24), byte(epoch>>16), byte(epoch>>8), byte(epoch)
	_, _ = rand.Read(b[4:])
	var out [len("Root=1-") + 8 + 1 + 24]byte
	n := copy(out[:], "Root=1-")
	hex.Encode(out[n:n+8], b[:4])
	out[n+8] = '-'
	hex.Encode(out[n+9:], b[4:])
	return string(out[:])
}

// newParentID makes an X-Ray segment id: 16 hex digits (64 random bits).
func newParentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
