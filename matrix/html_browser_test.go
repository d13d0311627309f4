package matrix

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatecheck/gatecheck/internal/browsertest"

	"github.com/gatecheck/gatecheck/reports"
)

// TestMatrixHTMLInBrowser renders a matrix of four gateways, with long
// reasons, in headless Chromium at 1280 px: nothing is wider than the
// window, every cell is coloured by its outcome, and every numbered note
// the table links to exists. It skips only when no Chromium is installed
// and GATECHECK_REQUIRE_BROWSER is unset (CI sets it).
func TestMatrixHTMLInBrowser(t *testing.T) {
	browser := browsertest.Chromium(t)
	long := "status 504 as AWS answers, with the gateway's own error response: body \"<html><head><title>504 Gateway Time-out</title></head>" + strings.Repeat("x", 300) + "\""
	var runs []Run
	for _, name := range []string{"reference", "nginx", "haproxy", "caddy"} {
		runs = append(runs, Run{Name: name, Report: report(name,
			spec("timeouts", "IntegrationTimeoutExceeded", "integration-timeout", reports.Passed, reports.GradeNonStrict, long),
			spec("payload", "PayloadChunkedOverLimitRejected", "payload-limit", reports.Failed, "", "a rejected body must never reach the backend "+strings.Repeat("0123456789", 40)),
			spec("errors", "UnknownPathMissingAuthenticationToken", "gateway-responses", reports.Unsupported, "", "profile does not claim gateway-responses"))})
	}
	dir := t.TempDir()
	if err := Write(dir, Build(runs)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.WindowSize(1280, 900), chromedp.NoSandbox,
		chromedp.UserDataDir(filepath.Join(dir, "profile")))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	defer func() { _ = chromedp.Cancel(browserCtx) }()
	if err := chromedp.Do(browserCtx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("file://"+filepath.Join(dir, "matrix.html")), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("loading the matrix: %v", err)
	}
	type facts struct {
		ScrollWidth, ClientWidth int
		Cells, Coloured          int
		Links, Notes             int
	}
	f, err := chromedp.Run(browserCtx, chromedp.Evaluate[facts](`(() => {
		const cells = [...document.querySelectorAll("td.cell")];
		const coloured = cells.filter(c => getComputedStyle(c).backgroundColor !== "rgba(0, 0, 0, 0)");
		const links = [...document.querySelectorAll("td.cell sup a")];
		const notes = links.filter(a => document.getElementById(a.getAttribute("href").slice(1)));
		return {ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth,
			Cells: cells.length, Coloured: coloured.length, Links: links.length, Notes: notes.length};
	})()`))
	if err != nil {
		t.Fatalf("measuring the page: %v", err)
	}
	if f.ScrollWidth > 1280 {
		t.Errorf("the matrix is %d px wide in a 1280 px window", f.ScrollWidth)
	}
	if f.Cells != 12 || f.Coloured != 12 {
		t.Errorf("%d of %d cells coloured by their outcome, want all 12", f.Coloured, f.Cells)
	}
	if f.Links != 8 || f.Notes != f.Links {
		t.Errorf("%d footnote links, %d of them to a note; want 8, all", f.Links, f.Notes)
	}
}
