package restapi

import "strings"

// contentHandlings are the values of contentHandling on an integration
// and an integration response (MODEL: ContentHandlingStrategy).
var contentHandlings = []string{"CONVERT_TO_BINARY", "CONVERT_TO_TEXT"}

// checkContentHandling reports a contentHandling that API Gateway would
// refuse; empty means pass through.
func checkContentHandling(v, field string, p *problems) {
	if v != "" && v != contentHandlings[0] && v != contentHandlings[1] {
		p.addf(field, "%q is not a content handling; use one of %v, or omit it to pass the payload through", v, contentHandlings)
	}
}

// checkBinaryMediaTypes reports entries of binaryMediaTypes that are not
// a media type ("type/subtype", either part may be the wildcard *).
func checkBinaryMediaTypes(types []string, p *problems) {
	for _, t := range types {
		mt, _, _ := strings.Cut(t, ";")
		typ, sub, ok := strings.Cut(strings.TrimSpace(mt), "/")
		if !ok || typ == "" || sub == "" || strings.ContainsAny(sub, "/ ") || strings.ContainsAny(typ, " ") {
			p.addf(extBinaryMediaTypes, "%q is not a media type; write type/subtype, e.g. image/png, image/* or */*", t)
		}
	}
}
