package mapping

import "strings"

const stageVarOpen = "${stageVariables."

// Substitute replaces ${stageVariables.name} in an integration URI, the
// one substitution API Gateway makes there (an undefined stage variable
// becomes ""). Everything else, '#' and other '$' included, is copied as
// written: a URI is not a mapping template.
func (e *Env) Substitute(s string) string {
	i := strings.Index(s, stageVarOpen)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		rest := s[i+len(stageVarOpen):]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(e.Ctx.StageVariables[rest[:end]])
		s = rest[end+1:]
		i = strings.Index(s, stageVarOpen)
	}
	b.WriteString(s)
	return b.String()
}
