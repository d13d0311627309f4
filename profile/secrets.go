package profile

import (
	"net/http"
	"net/url"
	"slices"
)

// SecretHolder is implemented by feature configurations that carry
// secrets, such as API key values, so that reports never show them.
type SecretHolder interface{ Secrets() []string }

// secretHeaders are the headers whose values in target.headers are secrets.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "X-Amz-Security-Token", "Cookie"}

// Secrets lists the secrets the profile carries, for redaction: the static
// secret access key, the passwords in its URLs, the values of secret
// headers in target.headers and what its feature configurations hold.
func (p *Profile) Secrets() []string {
	t := &p.Target
	secrets := []string{t.SecretAccessKey}
	for _, raw := range []string{t.RestURL, t.FixtureURL, t.ManagementURL, t.MetricsURL, t.WebSocketURL, t.WebSocketNoDefaultURL} {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			pw, _ := u.User.Password()
			secrets = append(secrets, pw)
		}
	}
	for name, value := range t.Headers {
		if slices.Contains(secretHeaders, http.CanonicalHeaderKey(name)) {
			secrets = append(secrets, value)
		}
	}
	for _, name := range p.Claimed() {
		if h, ok := p.configs[name].(SecretHolder); ok {
			secrets = append(secrets, h.Secrets()...)
		}
	}
	return slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
}
