package integration

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns the transport integrations use by default (REST and
// WebSocket): many idle connections per backend, no compression, and never
// an environment proxy.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil, // never send integration traffic through an environment proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// NoRedirects hands a redirect back as the integration's response, as API
// Gateway does (an http.Client CheckRedirect).
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
