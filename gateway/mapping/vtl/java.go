package vtl

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Java string semantics the string methods need: indexes count UTF-16
// code units, regular expressions are Java's (run by Go's RE2 where the
// syntax agrees), replacements use $n group references.

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func utf16Len(s string) int {
	if isASCII(s) {
		return len(s)
	}
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// utf16Substring is Java's substring(begin, end); out of range is an
// error, like StringIndexOutOfBoundsException.
func utf16Substring(s string, begin, end int) (any, error) {
	n := utf16Len(s)
	if begin < 0 || end > n || begin > end {
		return nil, fmt.Errorf("begin %d, end %d, length %d: string index out of range", begin, end, n)
	}
	if isASCII(s) {
		return s[begin:end], nil
	}
	u := utf16.Encode([]rune(s))
	return string(utf16.Decode(u[begin:end])), nil
}

// utf16Index is Java's indexOf(sub, from).
func utf16Index(s, sub string, from int) int {
	if from < 0 {
		from = 0
	}
	if isASCII(s) && isASCII(sub) {
		if from > len(s) {
			return -1
		}
		i := strings.Index(s[from:], sub)
		if i < 0 {
			return -1
		}
		return i + from
	}
	u, w := utf16.Encode([]rune(s)), utf16.Encode([]rune(sub))
	for i := from; i+len(w) <= len(u); i++ {
		if equalUnits(u[i:i+len(w)], w) {
			return i
		}
	}
	return -1
}

func utf16LastIndex(s, sub string) int {
	if isASCII(s) && isASCII(sub) {
		return strings.LastIndex(s, sub)
	}
	u, w := utf16.Encode([]rune(s)), utf16.Encode([]rune(sub))
	for i := len(u) - len(w); i >= 0; i-- {
		if equalUnits(u[i:i+len(w)], w) {
			return i
		}
	}
	return -1
}

func equalUnits(a, b []uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// javaTrim is String.trim: it strips every character up to U+0020.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// regexCache keeps compiled patterns: templates call replaceAll or split
// with the same literal pattern on every request.
var (
	regexCache     sync.Map // string -> *regexp.Regexp
	regexCacheSize int64
	regexCacheMu   sync.Mutex
)

const regexCacheMax = 512

// compileJava compiles a Java regular expression. RE2 lacks
// backreferences, lookaround and possessive quantifiers: such a pattern is
// an error (Java would have run it). whole anchors the pattern for
// String.matches.
func compileJava(pattern string, whole bool) (*regexp.Regexp, error) {
	key := pattern
	if whole {
		key = "\x00" + pattern
	}
	if re, ok := regexCache.Load(key); ok {
		return re.(*regexp.Regexp), nil
	}
	expr := pattern
	if whole {
		expr = `^(?:` + pattern + `)\z`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q is not supported: %v", pattern, err)
	}
	regexCacheMu.Lock()
	if regexCacheSize < regexCacheMax {
		if _, loaded := regexCache.LoadOrStore(key, re); !loaded {
			regexCacheSize++
		}
	}
	regexCacheMu.Unlock()
	return re, nil
}

// replaceJava is String.replaceAll / replaceFirst.
func replaceJava(s, pattern, replacement string, all bool) (string, error) {
	re, err := compileJava(pattern, false)
	if err != nil {
		return "", err
	}
	tmpl, err := goReplacement(replacement, re.NumSubexp())
	if err != nil {
		return "", err
	}
	if all {
		return re.ReplaceAllString(s, tmpl), nil
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil {
		return s, nil
	}
	out := re.ExpandString([]byte(s[:loc[0]]), tmpl, s, loc)
	return string(out) + s[loc[1]:], nil
}

// goReplacement turns a Java replacement string ($1, ${name}, \$ for a
// literal dollar) into Go's Expand syntax (${1}, $$).
func goReplacement(r string, groups int) (string, error) {
	if !strings.ContainsAny(r, `$\`) {
		return r, nil
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch c := r[i]; c {
		case '\\':
			i++
			if i >= len(r) {
				return "", fmt.Errorf("replacement %q ends with a lone backslash", r)
			}
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case '$':
			i++
			if i >= len(r) {
				return "", fmt.Errorf("replacement %q: illegal group reference", r)
			}
			if r[i] == '{' {
				end := strings.IndexByte(r[i:], '}')
				if end < 0 {
					return "", fmt.Errorf("replacement %q: unclosed group name", r)
				}
				b.WriteString("${" + r[i+1:i+end] + "}")
				i += end
				continue
			}
			if !isDigit(r[i]) {
				return "", fmt.Errorf("replacement %q: illegal group reference", r)
			}
			// Java reads as many digits as still name an existing group.
			n := int(r[i] - '0')
			if n > groups {
				return "", fmt.Errorf("replacement %q: no group %d", r, n)
			}
			for i+1 < len(r) && isDigit(r[i+1]) && n*10+int(r[i+1]-'0') <= groups {
				i++
				n = n*10 + int(r[i]-'0')
			}
			fmt.Fprintf(&b, "${%d}", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// splitJava is String.split(regex, limit): limit 0 drops trailing empty
// strings, a positive limit caps the parts, a zero-width match at the
// start makes no leading empty string, and no match at all gives [s].
func splitJava(s, pattern string, limit int) ([]string, error) {
	re, err := compileJava(pattern, false)
	if err != nil {
		return nil, err
	}
	matches := re.FindAllStringIndex(s, -1)
	if len(matches) == 0 {
		return []string{s}, nil
	}
	var parts []string
	start := 0
	for _, m := range matches {
		if limit > 0 && len(parts) == limit-1 {
			break
		}
		if m[1] == 0 { // zero-width match at the beginning
			continue
		}
		parts = append(parts, s[start:m[0]])
		start = m[1]
	}
	parts = append(parts, s[start:])
	if limit == 0 {
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	return parts, nil
}
