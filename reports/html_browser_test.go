package reports

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatecheck/gatecheck/internal/browsertest"
)

// TestHTMLInBrowser renders the report of every scenario kind in headless
// Chromium at 1280×900 and checks that the page loads without console
// errors, that every plot draws (a non-empty box holding marks), and that
// nothing is wider than the window. It skips only when no Chromium is
// installed and GATECHECK_REQUIRE_BROWSER is unset (CI sets it, so there a
// missing browser fails). It leaves a screenshot in the temp directory.
func TestHTMLInBrowser(t *testing.T) {
	browser := browsertest.Chromium(t)
	dir := t.TempDir()
	path := filepath.Join(dir, HTMLFile)
	if err := fullReport().WriteHTML(path); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.WindowSize(1280, 900), chromedp.NoSandbox,
		chromedp.UserDataDir(filepath.Join(dir, "profile")))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc() // kills the browser and waits for it if Cancel below did not close it
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	defer func() {
		if err := chromedp.Cancel(browserCtx); err != nil {
			t.Logf("closing chromium: %v", err)
		}
	}()

	type plotBox struct {
		Label         string
		Width, Height float64
		Right         float64
		Marks         int
		DrawnMarks    int
	}
	type pageFacts struct {
		ScrollWidth int
		ClientWidth int
		Plots       []plotBox
	}
	// Subscribe before loading so no message is lost; the sentinel logged
	// after the checks marks the end of what the page logged.
	messages := chromedp.Console(browserCtx)
	if err := chromedp.Do(browserCtx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("file://"+path),
		chromedp.WaitReady("body"),
	); err != nil {
		t.Fatalf("loading %s in chromium: %v", path, err)
	}
	page, err := chromedp.Run(browserCtx, chromedp.Evaluate[pageFacts](`(() => {
		const plots = [...document.querySelectorAll("svg.plot")].map(s => {
			const r = s.getBoundingClientRect();
			const marks = [...s.querySelectorAll("circle, polyline, rect:not(.lg)")];
			const drawn = marks.filter(m => { const b = m.getBoundingClientRect(); return b.width > 0 && b.height > 0; });
			return {Label: s.getAttribute("aria-label"), Width: r.width, Height: r.height, Right: r.right,
				Marks: marks.length, DrawnMarks: drawn.length};
		});
		return {ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth, Plots: plots};
	})()`))
	if err != nil {
		t.Fatalf("measuring the page: %v", err)
	}
	png, err := chromedp.Run(browserCtx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("taking a screenshot: %v", err)
	}
	shot := filepath.Join(os.TempDir(), "gatecheck-report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Errorf("writing the screenshot: %v", err)
	} else {
		t.Logf("screenshot: %s", shot)
	}
	const sentinel = "gatecheck: end of the checks"
	if _, err := chromedp.Run(browserCtx, chromedp.Evaluate[bool](`console.info(`+"`"+sentinel+"`"+`), true`)); err != nil {
		t.Fatalf("logging the sentinel: %v", err)
	}
	var consoleErrors []string
	for m, err := range messages { // bounded by ctx's timeout
		if err != nil {
			t.Fatalf("reading the console before the sentinel: %v", err)
		}
		if m.Text == sentinel {
			break
		}
		if m.IsException() || m.Type == chromedp.ConsoleError {
			consoleErrors = append(consoleErrors, m.String())
		}
	}

	for _, e := range consoleErrors {
		t.Errorf("the page logged an error: %s", e)
	}
	if page.ScrollWidth > 1280 {
		t.Errorf("the page is %d px wide in a 1280 px window", page.ScrollWidth)
	}
	// Every scenario kind's plots are on the page (the count is checked
	// against the markup in TestHTMLPlots; here, that each one draws).
	if len(page.Plots) != 16 {
		t.Errorf("%d plots on the page, want 16", len(page.Plots))
	}
	for _, p := range page.Plots {
		switch {
		case p.Width < 100 || p.Height < 50:
			t.Errorf("plot %q draws in a %.0f×%.0f box", p.Label, p.Width, p.Height)
		case p.Right > float64(page.ClientWidth):
			t.Errorf("plot %q ends at %.0f px, past the %d px window", p.Label, p.Right, page.ClientWidth)
		case p.Marks == 0 || p.DrawnMarks != p.Marks:
			t.Errorf("plot %q: %d of its %d marks draw", p.Label, p.DrawnMarks, p.Marks)
		}
	}
}
