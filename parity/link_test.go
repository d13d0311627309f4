package parity

import "testing"

func TestSourcesLinkDeveloperGuidePages(t *testing.T) {
	got := linkSources("§2; DG limits.md, response-transfer-mode.html; KC-504")
	want := "§2; DG [limits](https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), " +
		"[response-transfer-mode](https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html); KC-504"
	if got != want {
		t.Errorf("linkSources:\n got %s\nwant %s", got, want)
	}
}
