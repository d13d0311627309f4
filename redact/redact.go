// Package redact removes secrets from text that leaves gatecheck: report
// reasons, the terminal summary, Ginkgo's console output and log lines.
// Every such text goes through String.
//
// It removes, in any letter case:
//   - user info in URLs: scheme://user:pass@host becomes scheme://REDACTED@host;
//   - values of secret-bearing keys, whether written as a header
//     ("X-Amz-Security-Token: v"), a canonical-request line
//     ("x-amz-security-token:v"), a query parameter ("X-Amz-Security-Token=v",
//     URL-encoded), a Go header dump ("X-Api-Key:[v]") or JSON, escaped or
//     not ("\"x-api-key\":\"v\""): session tokens, x-api-key values,
//     secret access keys (aws_secret_access_key, SecretAccessKey) and
//     session tokens by their other names (aws_session_token, SessionToken),
//     apiKey and password values;
//   - the whole value of an Authorization header (SigV4 or Basic);
//   - hex signatures after Signature= or X-Amz-Signature=;
//   - every literal secret given to Register, also URL-encoded.
//
// Access key ids (Credential=AKIA…) are not secret and stay where they are
// not part of an Authorization value. Redaction is idempotent.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Marker replaces every secret.
const Marker = "REDACTED"

// MinSecretLen is the shortest literal Register accepts: a shorter one
// would blank out ordinary words, and AWS secret keys, session tokens and
// API keys are far longer.
const MinSecretLen = 8

var (
	// userInfo matches a URL's scheme and user info up to the last @ of the
	// authority (as net/url reads it).
	userInfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s"'<>\\]*@`)
	// keyed matches a secret-bearing key, its separator (":", "=", JSON and
	// escaped-JSON quoting, a Go header dump's "[", Gomega's multi-line
	// "[\n    \"") and its value: token characters, a JSON-escaped slash
	// allowed.
	keyed = regexp.MustCompile(`(?i)((?:x-amz-security-token|x-api-key|api[-_]?key|session_?token|secret_?access_?key|password)(?:\\?["'])?[ \t]*[:=]\s*\[?\s*(?:\\?["'])?)(?:[^\s&"',;\\\[\]<>{}()]|\\/)+`)
	// authorization matches an Authorization header and its whole value.
	authorization = regexp.MustCompile(`(?i)(authorization(?:\\?["'])?[ \t]*[:=]\s*\[?\s*(?:\\?["'])?)[^\r\n"\]\\]+`)
	// signature matches a hex SigV4 signature after its key.
	signature = regexp.MustCompile(`(?i)((?:x-amz-)?signature(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?)[0-9a-f]{16,}`)
)

// triggers are lower-case words one of which every key pattern contains:
// text without any of them (and without a registered secret or a URL with
// an @) is returned as it is, without allocating.
var triggers = [...]string{"security-token", "session_token", "sessiontoken", "secret_access", "secretaccess", "password", "x-api-key", "api-key", "api_key", "apikey", "authorization", "signature"}

// triggerStart marks the first letters of the triggers, both cases.
var triggerStart = func() (t [256]bool) {
	for _, w := range triggers {
		t[w[0]], t[w[0]-('a'-'A')] = true, true
	}
	return t
}()

// literals holds the registered secrets and their encoded forms, longest
// first so that a secret containing another is replaced whole. Readers
// load it without locking; Register copies it.
var (
	literals   atomic.Pointer[[]string]
	registerMu sync.Mutex
)

// Register adds secret to the literals String removes, with its
// URL-encoded and JSON-escaped forms. Secrets shorter than MinSecretLen
// are ignored. Safe for concurrent use; registering one twice is cheap.
func Register(secret string) {
	if len(secret) < MinSecretLen || registered(secret) {
		return
	}
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), strings.ReplaceAll(secret, "/", `\/`)}
	registerMu.Lock()
	defer registerMu.Unlock()
	var next []string
	if old := literals.Load(); old != nil {
		next = slices.Clone(*old)
	}
	for _, f := range forms {
		if !slices.Contains(next, f) {
			next = append(next, f)
		}
	}
	slices.SortFunc(next, func(a, b string) int { return len(b) - len(a) })
	literals.Store(&next)
}

func registered(secret string) bool {
	if l := literals.Load(); l != nil {
		return slices.Contains(*l, secret)
	}
	return false
}

// String returns s with every secret replaced by Marker. When s holds
// nothing to redact it is returned unchanged, without allocating.
func String(s string) string {
	lits := literals.Load()
	if !needsRedaction(s, lits) {
		return s
	}
	return redactAll(s, lits)
}

// SecretName reports whether a header, parameter or attribute name names
// a secret (x-amz-security-token, x-api-key, api_key, authorization,
// password, a secret access key, a session token, a signature), in any
// letter case: its whole value is redacted, whatever it looks like.
func SecretName(name string) bool {
	for _, t := range secretNames {
		if len(name) >= len(t) {
			for i := 0; i+len(t) <= len(name); i++ {
				if hasPrefixFold(name[i:], t) {
					return true
				}
			}
		}
	}
	return false
}

// secretNames are the lower-case words a secret's name contains.
var secretNames = [...]string{"security-token", "security_token", "securitytoken", "session-token", "session_token", "sessiontoken",
	"secret-access", "secret_access", "secretaccess", "password", "api-key", "api_key", "apikey", "authorization", "signature"}

// Bytes is String for a byte slice: b itself, without copying, when it
// holds nothing to redact.
func Bytes(b []byte) []byte {
	lits := literals.Load()
	if len(b) == 0 || !needsRedaction(unsafe.String(unsafe.SliceData(b), len(b)), lits) {
		return b
	}
	return []byte(redactAll(string(b), lits))
}

// redactAll is String's slow path.
func redactAll(s string, lits *[]string) string {
	if lits != nil {
		for _, l := range *lits {
			s = strings.ReplaceAll(s, l, Marker)
		}
	}
	s = userInfo.ReplaceAllString(s, "${1}"+Marker+"@")
	s = keyed.ReplaceAllString(s, "${1}"+Marker)
	s = authorization.ReplaceAllString(s, "${1}"+Marker)
	return signature.ReplaceAllString(s, "${1}"+Marker)
}

// needsRedaction is String's fast path: could any pattern or literal match?
// One pass over s finds the triggers' first letters.
func needsRedaction(s string, lits *[]string) bool {
	if strings.Contains(s, "://") && strings.IndexByte(s, '@') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if !triggerStart[s[i]] {
			continue
		}
		c := lower(s[i])
		for _, t := range triggers {
			if t[0] == c && hasPrefixFold(s[i:], t) {
				return true
			}
		}
	}
	if lits != nil {
		for _, l := range *lits {
			if strings.Contains(s, l) {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with lowerPrefix (ASCII lower
// case) in any ASCII letter case.
func hasPrefixFold(s, lowerPrefix string) bool {
	if len(s) < len(lowerPrefix) {
		return false
	}
	for k := 0; k < len(lowerPrefix); k++ {
		if lower(s[k]) != lowerPrefix[k] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
