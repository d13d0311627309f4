package suites

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/gatecheck/gatecheck/conformance"
	"github.com/gatecheck/gatecheck/profile"
	"github.com/gatecheck/gatecheck/reports"
	"github.com/gatecheck/gatecheck/scenarios/canarysplit"
	"github.com/gatecheck/gatecheck/stats"
)

// FeatureCanary: canary releases on a stage (spec §6).
const FeatureCanary = "canary"

// CanaryConfig is what a profile claims for canary.
type CanaryConfig struct {
	Stage         string  `yaml:"stage"`
	PromoteStage  string  `yaml:"promoteStage"`
	BaseVersion   string  `yaml:"baseVersion"`
	CanaryVersion string  `yaml:"canaryVersion"`
	CanaryOnly    string  `yaml:"canaryOnly"`
	Percent       float64 `yaml:"percent"`
	// Every statistical check fails a conforming gateway with probability
	// at most Alpha, and detects a split off by Delta with probability at
	// least Power.
	Alpha        float64       `yaml:"alpha"`
	Power        float64       `yaml:"power"`
	Delta        float64       `yaml:"delta"`
	LoadRate     int           `yaml:"loadRate"`
	LoadDuration time.Duration `yaml:"loadDuration"`
	// Static: the split is fixed in the gateway's own configuration at
	// Percent, with no control plane to move it (nginx split_clients,
	// HAProxy rand, weighted servers). CanarySplit and CanaryNoStickiness judge it
	// as it is; the checks that move or promote a split need the
	// management API and are skipped.
	Static bool `yaml:"static"`
}

func (c *CanaryConfig) Validate() []string {
	var p []string
	switch {
	case c.Static && c.Stage == "":
		p = append(p, "stage is the stage whose requests are split")
	case !c.Static && (c.Stage == "" || c.PromoteStage == "" || c.Stage == c.PromoteStage):
		p = append(p, "stage and promoteStage are two different stages with a canary")
	}
	if c.BaseVersion == "" || c.CanaryVersion == "" || c.BaseVersion == c.CanaryVersion || c.CanaryOnly == "" {
		p = append(p, "baseVersion and canaryVersion must differ; canaryOnly is required")
	}
	if !(c.Percent > 0 && c.Percent < 100) {
		p = append(p, "percent must be strictly between 0 and 100")
	}
	if !(c.Alpha > 0 && c.Alpha <= 0.01 && c.Power >= 0.5 && c.Power < 1 && c.Delta > 0 && c.Delta < 0.5) {
		p = append(p, "alpha in (0, 0.01], power in [0.5, 1), delta in (0, 0.5)")
	}
	if c.LoadRate < 1 {
		p = append(p, fmt.Sprintf("loadRate: %d must be positive", c.LoadRate))
	}
	if msg := validateLoadDuration("loadDuration", c.LoadDuration, time.Second); msg != "" {
		p = append(p, msg)
	}
	return p
}

// ValidateBounds checks the promotion-under-load scenario's rate against b.
func (c *CanaryConfig) ValidateBounds(b profile.Bounds) []string {
	return nonEmpty([]string{overRate("loadRate", c.LoadRate, "CanaryUnderLoad", b)})
}

func init() {
	profile.RegisterFeature(profile.FeatureSpec{Name: FeatureCanary, Description: "canary releases (spec §6)", NewConfig: func() any {
		return &CanaryConfig{Alpha: 1e-6, Power: 0.99, Delta: 0.05, LoadRate: 200, LoadDuration: 4 * time.Second}
	}})
}

func canaryConfig(t *conformance.T) *CanaryConfig {
	c, _ := profile.Config[*CanaryConfig](t.Target.Profile, FeatureCanary)
	return c
}

// splitAt sets the share a split check judges to percent through the
// management API and returns what restores it; a static split is judged
// as the gateway is configured (canary.percent), with nothing to set.
func splitAt(t *conformance.T, cfg *CanaryConfig, percent float64) (restore func()) {
	if cfg.Static {
		return func() {}
	}
	if !t.Target.Profile.Target.HasManagement() {
		t.Skipf("needs control actions through the API Gateway management API to set percentTraffic; set target.credentials (and target.managementURL for an emulator), or canary.static for a split fixed in the gateway's configuration")
	}
	restore = restoreLater(t, cfg.Stage, replace("/canarySettings/percentTraffic", "0"))
	setPercent(t, cfg.Stage, percent)
	return restore
}

// updateStage sends an UpdateStage patch.
func updateStage(t *conformance.T, stage string, ops ...types.PatchOperation) error {
	_, err := management(t).UpdateStage(t.Ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(t.Target.Profile.Target.RestAPIID), StageName: aws.String(stage), PatchOperations: ops})
	return err
}

func replace(path, value string) types.PatchOperation {
	return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}
}

// restoreLater undoes stage changes when the check ends, however it ends:
// registered before the change, on its own context (the check's may have
// run out), best effort (a failed restore is logged, not a second failure).
func restoreLater(t *conformance.T, stage string, ops ...types.PatchOperation) func() {
	client := management(t)
	apiID := t.Target.Profile.Target.RestAPIID
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Ctx), t.Target.Profile.Waits.Request)
		defer cancel()
		if _, err := client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage), PatchOperations: ops}); err != nil {
			t.Logf("restoring stage %s failed: %v (the next run may start from a changed stage)", stage, err)
		}
	}
}

// setPercent moves the canary's traffic, waits until GetStage reports it,
// then until the data plane shows it: at 0 % and 100 % every response can
// confirm the change, so the wait ends after consecutiveConfirmations of
// them; an intermediate percentage has no such event, so the profile's
// waits.settle applies (AWS propagates UpdateStage within seconds).
func setPercent(t *conformance.T, stage string, percent float64) {
	v := strconv.FormatFloat(percent, 'f', -1, 64)
	t.Expect(updateStage(t, stage, replace("/canarySettings/percentTraffic", v))).To(Succeed(), "UpdateStage percentTraffic %s", v)
	t.Eventually(func(g Gomega) {
		out := getStage(t, stage)
		g.Expect(out.CanarySettings).NotTo(BeNil())
		g.Expect(out.CanarySettings.PercentTraffic).To(Equal(percent))
	}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed())
	switch percent {
	case 0:
		awaitTraffic(t, stage, "false")
	case 100:
		awaitTraffic(t, stage, "true")
	default:
		settle(t)
	}
}

// consecutiveConfirmations is how many responses in a row must show a
// control change before a check relies on it.
const consecutiveConfirmations = 20

// awaitTraffic waits until consecutiveConfirmations responses in a row from
// routes.mock on stage have $context.isCanaryRequest == canary.
func awaitTraffic(t *conformance.T, stage, canary string) {
	path, _ := t.Target.Profile.Route("mock")
	url := t.Target.StageURL(stage, path)
	t.Eventually(func(g Gomega) {
		for range consecutiveConfirmations {
			g.Expect(mockVia(t, g, url, t.Target.HTTP).Canary).To(Equal(canary))
		}
	}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(),
		"%d consecutive responses with isCanaryRequest %s after the change", consecutiveConfirmations, canary)
}

func settle(t *conformance.T) {
	if d := t.Target.Profile.Waits.Settle; d > 0 {
		t.Logf("waiting waits.settle (%v) for the change to reach the data plane", d)
		select {
		case <-time.After(d):
		case <-t.Ctx.Done():
		}
	}
}

func getStage(t *conformance.T, stage string) *apigateway.GetStageOutput {
	out, err := management(t).GetStage(t.Ctx, &apigateway.GetStageInput{RestApiId: aws.String(t.Target.Profile.Target.RestAPIID), StageName: aws.String(stage)})
	t.Expect(err).NotTo(HaveOccurred(), "GetStage %s", stage)
	return out
}

// restoreStage records stage as GetStage shows it now and returns the
// restore (for restoreLater's contract, see there): the variables, the
// deployment and the canary settings come back exactly. The deployment can
// only be moved while the stage has no canary (spec §6), so the patch
// removes the canary, points the stage back, and recreates the canary.
func restoreStage(t *conformance.T, stage string) func() {
	before := getStage(t, stage)
	client := management(t)
	apiID := t.Target.Profile.Target.RestAPIID
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Ctx), t.Target.Profile.Waits.Request)
		defer cancel()
		now, err := client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
		if err == nil {
			_, err = client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage), PatchOperations: restoreOps(before, now)})
		}
		if err != nil {
			t.Logf("restoring stage %s failed: %v (the next run may start from a changed stage)", stage, err)
		}
	}
}

// restoreOps is the UpdateStage patch that takes a stage from now back to
// before.
func restoreOps(before, now *apigateway.GetStageOutput) []types.PatchOperation {
	var ops []types.PatchOperation
	for k := range now.Variables {
		if _, ok := before.Variables[k]; !ok {
			ops = append(ops, types.PatchOperation{Op: types.OpRemove, Path: aws.String("/variables/" + k)})
		}
	}
	for k, v := range before.Variables {
		if now.Variables[k] != v {
			ops = append(ops, replace("/variables/"+k, v))
		}
	}
	if aws.ToString(now.DeploymentId) != aws.ToString(before.DeploymentId) {
		if now.CanarySettings != nil {
			ops = append(ops, types.PatchOperation{Op: types.OpRemove, Path: aws.String("/canarySettings")})
		}
		ops = append(ops, replace("/deploymentId", aws.ToString(before.DeploymentId)))
		now = &apigateway.GetStageOutput{} // the canary is gone: recreate it below
	}
	if cs := before.CanarySettings; cs != nil {
		ops = append(ops, replace("/canarySettings/percentTraffic", strconv.FormatFloat(cs.PercentTraffic, 'f', -1, 64)))
		if now.CanarySettings == nil || aws.ToString(now.CanarySettings.DeploymentId) != aws.ToString(cs.DeploymentId) {
			ops = append(ops, replace("/canarySettings/deploymentId", aws.ToString(cs.DeploymentId)))
		}
		for k, v := range cs.StageVariableOverrides {
			if now.CanarySettings == nil || now.CanarySettings.StageVariableOverrides[k] != v {
				ops = append(ops, replace("/canarySettings/stageVariableOverrides/"+k, v))
			}
		}
		if now.CanarySettings == nil || now.CanarySettings.UseStageCache != cs.UseStageCache {
			ops = append(ops, replace("/canarySettings/useStageCache", strconv.FormatBool(cs.UseStageCache)))
		}
	}
	return ops
}

// sample sends n requests to routes.mock on stage and returns, in order,
// whether each was a canary request; every response is checked against
// the versions and variables the profile declares.
func sample(t *conformance.T, stage string, n int, client *http.Client) []bool {
	cfg := canaryConfig(t)
	path, _ := t.Target.Profile.Route("mock")
	url := t.Target.StageURL(stage, path)
	seq := make([]bool, 0, n)
	for i := 0; i < n; i++ {
		r := mockVia(t, t, url, client)
		switch r.Canary {
		case "true":
			t.Expect(r.Version).To(Equal(cfg.CanaryVersion), "a canary request sees the canary's overrides: %+v", r)
			t.Expect(r.Extra).To(Equal(cfg.CanaryOnly), "…and variables only the canary defines: %+v", r)
			seq = append(seq, true)
		case "false":
			t.Expect(r.Version).To(Equal(cfg.BaseVersion), "a base request sees the base variables: %+v", r)
			t.Expect(r.Extra).To(BeEmpty(), "a base request does not see canary-only variables: %+v", r)
			seq = append(seq, false)
		default:
			t.Expect(r.Canary).To(BeElementOf("true", "false"), "$context.isCanaryRequest: %+v", r)
		}
	}
	return seq
}

// mockVia GETs routes.mock at url and asserts with g: t itself, or an
// Eventually's Gomega so that a failed attempt is retried.
func mockVia(t *conformance.T, g Gomega, url string, client *http.Client) mockDoc {
	req, err := http.NewRequestWithContext(t.Ctx, http.MethodGet, url, nil)
	g.Expect(err).NotTo(HaveOccurred())
	resp, err := client.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	var d mockDoc
	g.Expect(decodeJSON(resp, &d)).To(Succeed())
	return d
}

func count(seq []bool) (k int) {
	for _, c := range seq {
		if c {
			k++
		}
	}
	return k
}

// promotion is the UpdateStage patch that promotes a canary (spec §6).
func promotion() []types.PatchOperation {
	return []types.PatchOperation{
		replace("/canarySettings/percentTraffic", "0"),
		{Op: types.OpCopy, From: aws.String("/canarySettings/stageVariableOverrides"), Path: aws.String("/variables")},
		{Op: types.OpCopy, From: aws.String("/canarySettings/deploymentId"), Path: aws.String("/deploymentId")},
	}
}

// canaryStageCache checks useStageCache on the cache stage's canary.
func canaryStageCache(t *conformance.T) {
	stage := cacheConfig(t).Stage
	st := getStage(t, stage)
	if st.CanarySettings == nil || aws.ToString(st.CanarySettings.DeploymentId) == aws.ToString(st.DeploymentId) {
		t.Skipf("the cache stage %q needs a canary on another deployment (canarySettings.deploymentId)", stage)
	}
	defer restoreStage(t, stage)()
	gc := uuid.NewString()
	base := primed(t, "cached", gc)

	t.Expect(updateStage(t, stage, replace("/canarySettings/useStageCache", "false"))).To(Succeed())
	setPercent(t, stage, 100)
	first, second := getID(t, cached(t, "cached", gc), nil), getID(t, cached(t, "cached", gc), nil)
	t.Expect(first).NotTo(Equal(base), "a canary request without useStageCache was answered from the base's cache entry")
	t.Expect(second).NotTo(Equal(first), "a canary request without useStageCache was answered from the cache")

	t.Expect(updateStage(t, stage, replace("/canarySettings/useStageCache", "true"))).To(Succeed())
	settle(t)
	gc = uuid.NewString()
	first = getID(t, cached(t, "cached", gc), nil)
	t.Expect(getID(t, cached(t, "cached", gc), nil)).To(Equal(first), "with useStageCache a canary request is answered from the stage cache")
	setPercent(t, stage, 0)
	t.Expect(getID(t, cached(t, "cached", gc), nil)).NotTo(Equal(first), "the base (deployment %s) was answered from the canary's entry (deployment %s): entries of different deployments are kept apart",
		aws.ToString(st.DeploymentId), aws.ToString(st.CanarySettings.DeploymentId))
}

// canaryUnderLoad runs the Vegeta canary scenario with a promotion halfway.
func canaryUnderLoad(t *conformance.T) {
	cfg := canaryConfig(t)
	defer restoreStage(t, cfg.PromoteStage)()
	setPercent(t, cfg.PromoteStage, cfg.Percent)
	client := management(t)
	apiID := t.Target.Profile.Target.RestAPIID
	path, _ := t.Target.Profile.Route("mock")
	opts := canarysplit.Options{
		URL: t.Target.StageURL(cfg.PromoteStage, path), Percent: cfg.Percent, Alpha: cfg.Alpha, Delta: cfg.Delta, Power: cfg.Power, CanaryVersion: cfg.CanaryVersion,
		Rate: cfg.LoadRate, Duration: cfg.LoadDuration, Grace: t.Target.Profile.Waits.Settle,
		AllowNonLoopback: t.Target.Profile.Target.AllowNonLoopback, MaxRate: t.Target.Profile.Target.MaxRate,
		// Called from the scenario's goroutine: no assertions here.
		Promote: func(ctx context.Context) error {
			_, err := client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String(cfg.PromoteStage), PatchOperations: promotion()})
			return err
		},
	}
	sc := runScenario(t, "CanaryUnderLoad", FeatureCanary, func(raw io.Writer) (*reports.Scenario, error) {
		opts.Raw = raw
		return canarysplit.Run(t.Ctx, opts)
	})
	judge(t, sc)
	for _, reason := range canarysplit.NonStrict(sc) {
		t.NonStrict("%s", reason)
	}
	// The run may end inside the grace (waits.settle) and so not see the
	// switch: the stage must still switch within the bound.
	awaitPromoted(t, opts.URL, cfg.CanaryVersion, t.Target.Profile.Waits.Settle+t.Target.Profile.Waits.Eventually)
}

// awaitPromoted waits up to bound until consecutiveConfirmations responses
// in a row from url are promoted: the canary's version, as base requests.
func awaitPromoted(t *conformance.T, url, version string, bound time.Duration) {
	t.Eventually(func(g Gomega) {
		for range consecutiveConfirmations {
			r := mockVia(t, g, url, t.Target.HTTP)
			g.Expect(r.Version).To(Equal(version), "%+v", r)
			g.Expect(r.Canary).To(Equal("false"), "%+v", r)
		}
	}).WithTimeout(bound).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(),
		"%d consecutive promoted responses within %v after the run", consecutiveConfirmations, bound)
}

var _ = conformance.Register(conformance.Area{
	Name:  "canary",
	Title: "Canary releases",
	Checks: []conformance.Check{
		{
			Name: "CanaryZeroPercent", Feature: FeatureCanary, Section: "§6",
			Description: "percentTraffic 0 routes every request to the base deployment ($context.isCanaryRequest false)",
			Needs:       []string{conformance.NeedRoute("mock"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := canaryConfig(t)
				setPercent(t, cfg.Stage, 0)
				t.Expect(count(sample(t, cfg.Stage, 200, t.Target.HTTP))).To(BeZero())
			},
		},
		{
			Name: "CanaryFullPercent", Feature: FeatureCanary, Section: "§6",
			Description: "percentTraffic 100 routes every request to the canary, which inherits every base stage variable and sees its overrides on top",
			Needs:       []string{conformance.NeedRoute("mock"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := canaryConfig(t)
				defer restoreLater(t, cfg.Stage, replace("/canarySettings/percentTraffic", "0"))()
				setPercent(t, cfg.Stage, 100)
				t.Expect(count(sample(t, cfg.Stage, 200, t.Target.HTTP))).To(Equal(200))
				variables := getStage(t, cfg.Stage).Variables
				t.Expect(variables).To(HaveKey("color"), "the canary stage defines `color` for the inheritance check")
				r := mockOn(t, cfg.Stage)
				t.Expect(r.Color).To(Equal(variables["color"]), "the canary inherits the base `color` it does not override (spec §6, recorded against AWS): %+v", r)
			},
		},
		{
			Name: "CanarySplit", Feature: FeatureCanary, Section: "§6",
			Description: "An intermediate percentTraffic (a static split: its configured percent) sends that share of requests to the canary: exact binomial test, false-failure probability ≤ alpha (1e-6), sample size planned for power ≥ 0.99 against ±5 points",
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				cfg := canaryConfig(t)
				p0 := cfg.Percent / 100
				n := stats.SampleSize(p0, cfg.Delta, cfg.Alpha, cfg.Power)
				lo, hi := stats.Acceptance(n, p0, cfg.Alpha)
				restore := splitAt(t, cfg, cfg.Percent)
				defer restore()
				k := count(sample(t, cfg.Stage, n, t.Target.HTTP))
				wlo, whi := stats.Wilson(k, n, stats.ZForAlpha(cfg.Alpha))
				t.Logf("%d of %d canary requests (%.2f%%, Wilson %.2f–%.2f%%); accepted region [%d, %d] for %g%%", k, n, 100*float64(k)/float64(n), 100*wlo, 100*whi, lo, hi, cfg.Percent)
				t.Expect(k).To(BeNumerically(">=", lo), fmt.Sprintf("%d of %d canary requests is too few for %g%% (exact binomial test, p = %.3g)", k, n, cfg.Percent, stats.BinomialTest(k, n, p0)))
				t.Expect(k).To(BeNumerically("<=", hi), fmt.Sprintf("%d of %d canary requests is too many for %g%% (exact binomial test, p = %.3g)", k, n, cfg.Percent, stats.BinomialTest(k, n, p0)))
			},
		},
		{
			Name: "CanaryNoStickiness", Feature: FeatureCanary, Section: "§6",
			Description: "Requests are routed independently: at 50 % (a static split: its configured percent, over 4,000 requests), consecutive requests from one client on one connection are neither sticky nor alternating (both kinds occur; runs test, false-failure probability ≤ alpha)",
			Needs:       []string{conformance.NeedRoute("mock")},
			Test: func(t *conformance.T) {
				cfg := canaryConfig(t)
				restore := splitAt(t, cfg, 50)
				defer restore()
				oneConn := conformance.NewClient(&http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, Proxy: nil}, t.Target.Profile.Waits.Request)
				defer oneConn.CloseIdleConnections()
				// At 50 % the runs test sees alternation in 400 requests; at a
				// static split's share (10 %, say) a weighted round robin (every
				// tenth request) shifts the runs by only ~2 sd in 400, and by
				// ~7 sd in 4000.
				n := 400
				if cfg.Static {
					n = 4000
				}
				seq := sample(t, cfg.Stage, n, oneConn)
				k := count(seq)
				t.Expect(k).To(BeNumerically(">", 0), "no canary request on this connection: routing is sticky")
				t.Expect(k).To(BeNumerically("<", len(seq)), "only canary requests on this connection: routing is sticky")
				runs, z, p := stats.RunsTest(seq)
				t.Logf("%d runs in %d requests (%d canary): z = %.2f, p = %.3g; longest run %d", runs, len(seq), k, z, p, stats.LongestRun(seq))
				// The runs test's normal approximation slightly exceeds its
				// nominal size this far in the tail (exact size 1.06e-6 at
				// alpha 1e-6 for 200/200): testing at alpha/2 keeps the
				// false-failure probability below alpha.
				t.Expect(p).To(BeNumerically(">", cfg.Alpha/2), "consecutive requests are not independent (runs test z = %.2f)", z)
			},
		},
		{
			Name: "CanaryPromotion", Feature: FeatureCanary, Section: "§6",
			Description: "Promotion (UpdateStage: percentTraffic 0, copy the overrides to the variables and the canary deployment to the stage) keeps the canary, points the stage at the canary's deployment ($context.deploymentId) and serves every request with the canary's variables as a base request",
			Needs:       []string{conformance.NeedRoute("mock"), conformance.NeedManagement},
			Test: func(t *conformance.T) {
				cfg := canaryConfig(t)
				defer restoreStage(t, cfg.PromoteStage)()
				stage := getStage(t, cfg.PromoteStage)
				t.Expect(stage.CanarySettings).NotTo(BeNil(), "routes.promoteStage has a canary to promote")
				baseDeployment, canaryDeployment := aws.ToString(stage.DeploymentId), aws.ToString(stage.CanarySettings.DeploymentId)
				setPercent(t, cfg.PromoteStage, 50)
				// Before: both kinds answer, each from its own deployment.
				path, _ := t.Target.Profile.Route("mock")
				url := t.Target.StageURL(cfg.PromoteStage, path)
				seen := map[string]bool{}
				t.Eventually(func(g Gomega) {
					r := mockVia(t, g, url, t.Target.HTTP)
					want := map[string]string{"false": baseDeployment, "true": canaryDeployment}[r.Canary]
					g.Expect(r.Deployment).To(Equal(want), "$context.deploymentId of a request with isCanaryRequest %s: %+v", r.Canary, r)
					seen[r.Canary] = true
					g.Expect(seen).To(HaveLen(2))
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(time.Millisecond).Should(Succeed(), "at 50 %% both base and canary requests occur before the promotion")

				t.Expect(updateStage(t, cfg.PromoteStage, promotion()...)).To(Succeed(), "promotion")
				promoted := getStage(t, cfg.PromoteStage)
				t.Expect(aws.ToString(promoted.DeploymentId)).To(Equal(canaryDeployment), "GetStage: the stage now points at the canary's deployment")
				t.Expect(promoted.CanarySettings).NotTo(BeNil(), "promotion does not remove the canary (spec §6)")
				t.Expect(promoted.CanarySettings.PercentTraffic).To(BeZero())
				t.Eventually(func(g Gomega) {
					for range consecutiveConfirmations {
						g.Expect(mockVia(t, g, url, t.Target.HTTP).Version).To(Equal(cfg.CanaryVersion))
					}
				}).WithTimeout(t.Target.Profile.Waits.Eventually).WithPolling(t.Target.Profile.Waits.Poll).Should(Succeed(), "the promoted variables take effect")
				for i := 0; i < 50; i++ {
					r := mockVia(t, t, url, t.Target.HTTP)
					t.Expect(r.Version).To(Equal(cfg.CanaryVersion), "after promotion every request has the canary's version: %+v", r)
					t.Expect(r.Canary).To(Equal("false"), "and is a base request (percentTraffic 0): %+v", r)
					t.Expect(r.Extra).To(Equal(cfg.CanaryOnly), "the canary-only variable was copied too: %+v", r)
					t.Expect(r.Deployment).To(Equal(canaryDeployment), "served by the promoted deployment: %+v", r)
				}
			},
		},
		{
			Name: "CanaryUnderLoad", Feature: FeatureCanary, Section: "§6",
			Description: "Under constant load, with no error before the promotion, the canary share passes an exact binomial test (alpha 1e-6; its power for ±5 points on the requests the run produced is reported, the CanarySplit check is the planned one), and a promotion halfway switches the stage: a stage that never switches fails. Spec §6 says neither that the switch is immediate nor that it is error-free, so requests still unpromoted after waits.settle, and errors or 5xx across the switch, are NON-STRICT with their counts",
			Needs:       []string{conformance.NeedRoute("mock"), conformance.NeedManagement},
			Scenario:    true,
			Test:        canaryUnderLoad,
		},
		{
			Name: "CanaryStageCache", Feature: FeatureCanary, Section: "§6",
			Description: "Canary requests bypass the stage cache unless useStageCache is on; with it on, a canary on another deployment keeps its own entries apart from the base's",
			Needs:       []string{conformance.NeedRoute("cached"), conformance.NeedRoute("mock"), conformance.NeedManagement},
			Test:        canaryStageCache,
		},
		{
			Name: "CanaryPromotionWithoutCanaryFails", Feature: FeatureCanary, Section: "§6",
			Description: `Promoting on a stage without a canary fails: "Promotion not available. Canary does not exist."`,
			Needs:       []string{conformance.NeedManagement},
			Test: func(t *conformance.T) {
				err := updateStage(t, t.Target.Profile.Target.Stage,
					types.PatchOperation{Op: types.OpCopy, From: aws.String("/canarySettings/stageVariableOverrides"), Path: aws.String("/variables")})
				t.Expect(err).To(HaveOccurred(), "UpdateStage promoted a stage without a canary")
				t.Expect(err.Error()).To(ContainSubstring("Canary does not exist"))
			},
		},
	},
})
