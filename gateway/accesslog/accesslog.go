// Package accesslog writes one structured line per request, with the
// $context fields API Gateway's access logs use most (spec §11): requestId,
// extendedRequestId, sourceIp, httpMethod, resourcePath, path, status,
// responseLength and responseLatency.
package accesslog

import (
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/request"
)

// Stage logs each request after it is answered.
type Stage struct {
	Logger *slog.Logger
	Clock  clockwork.Clock
	Next   http.Handler
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (s *Stage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	s.Next.ServeHTTP(rec, r)
	c := request.From(r.Context())
	resourcePath, stage := "", ""
	if c.Method != nil {
		resourcePath = c.Method.ResourcePath
	}
	if c.Stage != nil {
		stage = c.Stage.StageName
	}
	s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("requestId", c.ID),
		slog.String("extendedRequestId", c.ExtendedID),
		slog.String("sourceIp", c.SourceIP),
		slog.String("httpMethod", r.Method),
		slog.String("stage", stage),
		slog.String("resourcePath", resourcePath),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Int("responseLength", rec.bytes),
		slog.Int64("responseLatency", s.Clock.Since(c.Start).Milliseconds()),
	)
}
