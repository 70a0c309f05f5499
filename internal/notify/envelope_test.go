package notify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// The envelope is written by hand from shared parts; it must be byte for byte what encoding
// the whole Notification gives, escaping included.
func TestEnvelopeIsTheNotificationEncoded(t *testing.T) {
	at := time.Date(2026, 11, 27, 13, 0, 0, 123e6, time.UTC)
	body := map[string]any{"extensionId": 171857008, "subject": `"quoted" <b>&amp;</b> ünïcode`, "n": []int{1, 2}}
	for _, tc := range []struct{ event, subID string }{
		{"/restapi/v1.0/account/159048008/extension/171857008/presence?detailedTelephonyState=true&sipData=true", "0123456789abcdef0123"},
		{"/restapi/v1.0/account/1/presence", `imported "id" <&>`},
	} {
		p, err := encodeParts(tc.event, at, body)
		if err != nil {
			t.Fatal(err)
		}
		sub := rc.Subscription{ID: tc.subID, ExtensionID: 171857008}
		got := envelope(p.mid, p.body, sub)
		var n Notification
		if err := json.Unmarshal(got, &n); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		want, err := json.Marshal(Notification{UUID: n.UUID, Event: tc.event, Timestamp: rc.FormatTime(at), SubscriptionID: tc.subID,
			OwnerID: "171857008", Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("envelope\n got %s\nwant %s", got, want)
		}
	}
}
