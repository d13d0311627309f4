package runner_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/gatecheck/gatecheck/gateway"
	"github.com/gatecheck/gatecheck/runner"
)

// TestBoto3DrivesTheConnectionsAPI checks the reference gateway's
// @connections API against an AWS SDK that is not gatecheck's own client:
// boto3's apigatewaymanagementapi (the Go SDK's module is not available to
// this build). It signs, encodes the connection id and parses errors its
// own way. Skipped, with the reason, where python3 has no boto3.
func TestBoto3DrivesTheConnectionsAPI(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 is not installed: the cross-SDK check needs it")
	}
	e, err := runner.StartEmbedded(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ws, _, err := gws.DefaultDialer.Dial(e.WebSocketURL+"/ws", http.Header{"X-Api-Key": {"gatecheckWebSocketKey000006"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(gws.TextMessage, []byte(`{"action":"reply"}`)); err != nil {
		t.Fatal(err)
	}
	var reply struct{ ConnectionID string }
	if err := ws.ReadJSON(&reply); err != nil || reply.ConnectionID == "" {
		t.Fatalf("reply frame: %+v %v", reply, err)
	}

	endpoint := "http" + strings.TrimPrefix(e.WebSocketURL, "ws") + "/ws"
	cmd := exec.Command("python3", "../scripts/boto3_connections.py", endpoint, reply.ConnectionID,
		gateway.DefaultCredential.AccessKeyID, gateway.DefaultCredential.SecretAccessKey)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, raw)
	}
	var got map[string]struct {
		Status int
		Code   string
		Body   map[string]any
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", raw, err)
	}
	if p := got["post"]; p.Status != 200 {
		t.Errorf("post_to_connection: %+v", p)
	}
	if _, frame, err := ws.ReadMessage(); err != nil || string(frame) != "from-boto3" {
		t.Errorf("the client read %q, %v; want boto3's message", frame, err)
	}
	if g := got["get"]; g.Status != 200 || g.Body["ConnectedAt"] == nil || g.Body["Identity"] == nil || g.Body["LastActiveAt"] == nil {
		t.Errorf("get_connection: %+v", g)
	}
	if g := got["tooLarge"]; g.Status != 413 || g.Code != "PayloadTooLargeException" {
		t.Errorf("post_to_connection of 131,073 bytes: %+v", g)
	}
	if d := got["delete"]; d.Status != 204 {
		t.Errorf("delete_connection: %+v", d)
	}
	if g := got["gone"]; g.Status != 410 || g.Code != "GoneException" {
		t.Errorf("post_to_connection after delete: %+v", g)
	}
}
