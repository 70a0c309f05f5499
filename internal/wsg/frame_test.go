package wsg

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rcemu/rcemu/internal/restapi"
)

// The hand-written ServerNotification is byte for byte what frame() makes of the same parts.
func TestAppendNotificationMatchesFrame(t *testing.T) {
	body, _ := json.Marshal(map[string]any{"uuid": "123", "event": "/restapi/v1.0/account/1/presence?a=1&b=<2>",
		"body": map[string]any{"subject": "é \u2028 \"quoted\"", "n": 1.5}})
	token := randomToken(24)
	for _, seq := range []int{1, 42, 1 << 40} {
		mid, rid := restapi.NewRequestID(), restapi.NewRequestID()
		want := frame(meta{Type: "ServerNotification", MessageID: mid, Status: 200,
			Headers: map[string]string{"RCRequestId": rid}, WSC: &wsc{Token: token, Sequence: seq}}, json.RawMessage(body))
		if got := appendNotification(nil, mid, rid, token, seq, body); !bytes.Equal(got, want) {
			t.Fatalf("sequence %d:\n got %s\nwant %s", seq, got, want)
		}
	}
}
