package routing

import (
	"net/url"
	"strings"
)

// Dot segments. Whether API Gateway resolves or rejects "." and ".." in
// request paths is UNCONFIRMED (no AWS document or recording found). The
// reference gateway follows RFC 3986: a segment that is "." or "..",
// literally or percent-encoded ("%2e%2E"), is resolved (§5.2.4) before the
// stage and the resource are matched, as SigV4 canonicalises paths for
// every service but S3 and as CloudFront matches paths. A segment that
// hides a dot segment behind an encoded separator ("..%2F", "%2F..",
// "..%5C") cannot be forwarded without the backend resolving it out of
// the integration's path prefix, so the request is refused (400) instead.

// InvalidPathMessage is the 400 message for a path that hides a dot
// segment behind an encoded separator.
const InvalidPathMessage = "Invalid request path: a path segment hides a dot segment (. or ..) behind an encoded separator"

// needsNormalizing reports whether the escaped path p may hold a dot
// segment, an encoded dot or an encoded separator; most paths do not, and
// they cost nothing more.
func needsNormalizing(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '.':
			if i == 0 || p[i-1] == '/' {
				return true
			}
		case '\\':
			return true
		case '%':
			if i+2 < len(p) {
				switch {
				case p[i+1] == '2' && (p[i+2]|0x20 == 'e' || p[i+2]|0x20 == 'f'), // %2E %2F
					p[i+1] == '5' && p[i+2]|0x20 == 'c': // %5C
					return true
				}
			}
		}
	}
	return false
}

// normalizePath resolves the dot segments of the escaped path p, keeping
// every other segment's own escaping as the client sent it. ok is false
// for a path with an invalid escape or a segment that hides a dot segment
// behind an encoded separator.
func normalizePath(p string) (normalized string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		dec := seg
		if strings.IndexByte(seg, '%') >= 0 {
			var err error
			if dec, err = url.PathUnescape(seg); err != nil {
				return "", false
			}
		}
		last := i == len(segs)-1
		switch dec {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			if hidesDotSegment(dec) {
				return "", false
			}
			out = append(out, seg)
			continue
		}
		if last { // "/a/b/.." is "/a/": the directory, with its slash
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/"), true
}

// hidesDotSegment reports whether a decoded segment holds a "/" or "\"
// that would make a dot segment of part of it once the segment is
// forwarded decoded.
func hidesDotSegment(dec string) bool {
	if !strings.ContainsAny(dec, `/\`) {
		return false
	}
	for part := range strings.FieldsFuncSeq(dec, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == "." || part == ".." {
			return true
		}
	}
	return false
}

// IsDotSegment reports whether a decoded path value, or one of its
// "/"-separated parts, is "." or "..": a value the integration must not
// put into a backend path.
func IsDotSegment(v string) bool {
	return v == "." || v == ".." || hidesDotSegment(v)
}
