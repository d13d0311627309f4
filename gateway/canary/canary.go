// Package canary holds the live stage configuration and routes each request
// to a stage's canary at random (spec §6): independently, with probability
// percentTraffic/100, with the base stage variables overridden by the
// canary's stageVariableOverrides. Stages are updated copy-on-write, so the
// management API can move traffic and promote while requests flow.
package canary

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gatecheck/gatecheck/gateway/request"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// Stages is the live configuration of every stage.
type Stages struct {
	mu     sync.Mutex // serialises updates; reads are lock-free
	stages map[string]*atomic.Pointer[restapi.Stage]
	names  []string
}

// NewStages holds copies of stages.
func NewStages(stages []restapi.Stage) *Stages {
	s := &Stages{stages: map[string]*atomic.Pointer[restapi.Stage]{}}
	for i := range stages {
		p := &atomic.Pointer[restapi.Stage]{}
		p.Store(stages[i].Clone())
		s.stages[stages[i].StageName] = p
		s.names = append(s.names, stages[i].StageName)
	}
	return s
}

// Get returns the current (immutable) configuration of a stage, or nil.
func (s *Stages) Get(name string) *restapi.Stage {
	if p := s.stages[name]; p != nil {
		return p.Load()
	}
	return nil
}

// Names lists the stages in declaration order.
func (s *Stages) Names() []string { return s.names }

// Update applies edit to a copy of the stage and publishes it if edit
// succeeds. Requests in flight keep the configuration they started with.
func (s *Stages) Update(name string, edit func(*restapi.Stage) error) (*restapi.Stage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.stages[name]
	if p == nil {
		return nil, fmt.Errorf("no stage %q", name)
	}
	next := p.Load().Clone()
	if err := edit(next); err != nil {
		return nil, err
	}
	p.Store(next)
	return next, nil
}

// Selector is the pipeline stage that picks base or canary per request.
type Selector struct {
	Next http.Handler
}

func (s *Selector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := request.From(r.Context())
	if st := c.Stage; st != nil && st.CanarySettings != nil {
		if p := st.CanarySettings.PercentTraffic; p > 0 && rand.Float64()*100 < p {
			c.IsCanary = true
			c.DeploymentID = st.CanarySettings.DeploymentID
			vars := make(map[string]string, len(st.Variables)+len(st.CanarySettings.StageVariableOverrides))
			for k, v := range st.Variables {
				vars[k] = v // canary requests inherit every base variable…
			}
			for k, v := range st.CanarySettings.StageVariableOverrides {
				vars[k] = v // …with the overrides on top (recorded against AWS, spec §6)
			}
			c.StageVariables = vars
		}
	}
	s.Next.ServeHTTP(w, r)
}
