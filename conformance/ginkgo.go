package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/reports"
)

var (
	targetMu    sync.Mutex
	current     *Target
	suiteReport types.Report
)

// SetTarget sets the target the Ginkgo specs run against. Call before RunSpecs.
func SetTarget(t *Target) {
	targetMu.Lock()
	defer targetMu.Unlock()
	current = t
}

func currentTarget() *Target {
	targetMu.Lock()
	defer targetMu.Unlock()
	return current
}

// LastSuiteReport returns the Ginkgo report of the suite that just ran.
func LastSuiteReport() types.Report {
	targetMu.Lock()
	defer targetMu.Unlock()
	return suiteReport
}

var _ = ginkgo.ReportAfterSuite("gatecheck report", func(r ginkgo.Report) {
	targetMu.Lock()
	defer targetMu.Unlock()
	suiteReport = r
})

// SpecObserver sees a run's size and each spec as it finishes: the
// runner's progress lines.
type SpecObserver interface {
	SuiteWillRun(specs int)
	SpecDidRun(types.SpecReport)
}

var observer SpecObserver

// SetSpecObserver sets the SpecObserver of the next RunSpecs (nil: none).
func SetSpecObserver(o SpecObserver) {
	targetMu.Lock()
	defer targetMu.Unlock()
	observer = o
}

func specObserver() SpecObserver {
	targetMu.Lock()
	defer targetMu.Unlock()
	return observer
}

var _ = ginkgo.ReportBeforeSuite(func(r ginkgo.Report) {
	if o := specObserver(); o != nil {
		o.SuiteWillRun(r.PreRunStats.SpecsThatWillRun)
	}
})

var _ = ginkgo.ReportAfterEach(func(r ginkgo.SpecReport) {
	if o := specObserver(); o != nil {
		o.SpecDidRun(r)
	}
})

// Register adds an area's checks to the Ginkgo tree: a Describe labelled
// area:<name> holding one It per check labelled feature:<feature>. Spec
// files call it as `var _ = conformance.Register(conformance.Area{…})`.
func Register(a Area) bool {
	for _, c := range a.Checks {
		register(a.Name, c)
	}
	ginkgo.Describe(a.Title, ginkgo.Label("area:"+a.Name), func() {
		for _, c := range a.Checks {
			labels := ginkgo.Label("feature:" + c.Feature)
			if c.Scenario {
				labels = ginkgo.Label("feature:"+c.Feature, "scenario")
			}
			ginkgo.It(SpecText(c), labels, func(ctx ginkgo.SpecContext) {
				runInGinkgo(ctx, c)
			})
		}
	})
	return true
}

// ScenarioEntry names the Ginkgo report entry that carries a scenario's
// measurements (JSON of reports.Scenario).
const ScenarioEntry = "gatecheck-scenario"

// GradeEntry names the Ginkgo report entry that carries a NON-STRICT grade.
const GradeEntry = "gatecheck-grade"

// UnsupportedPrefix starts the skip message of a spec whose feature the
// profile does not claim; the runner reports those as "unsupported".
const UnsupportedPrefix = "unsupported: "

func runInGinkgo(ctx context.Context, c Check) {
	target := currentTarget()
	if target == nil {
		ginkgo.Fail("gatecheck: no target set; run through `gatecheck run` or conformance.SetTarget")
	}
	if reason := target.Unmet(c); reason != "" {
		if !target.Profile.Supports(c.Feature) {
			ginkgo.Skip(UnsupportedPrefix + reason)
		}
		ginkgo.Skip(reason)
	}
	ctx, cancel := context.WithTimeout(ctx, target.Profile.Waits.Spec)
	defer cancel()
	t := &T{
		Gomega:  gomega.NewGomega(ginkgo.Fail),
		Ctx:     ctx,
		Target:  target,
		Feature: c.Feature,
		logf:    func(format string, args ...any) { ginkgo.By(fmt.Sprintf(format, args...)) },
		skip:    func(reason string) { ginkgo.Skip(reason) },
		grade:   func(reason string) { ginkgo.AddReportEntry(GradeEntry, reason, ginkgo.ReportEntryVisibilityNever) },
		record: func(sc *reports.Scenario) {
			b, err := json.Marshal(sc)
			if err != nil {
				ginkgo.Fail("encoding scenario result: " + err.Error())
			}
			ginkgo.AddReportEntry(ScenarioEntry, string(b), ginkgo.ReportEntryVisibilityNever)
		},
	}
	c.Test(t)
}
