package api_test

import (
	"testing"

	"github.com/rcemu/rcemu/internal/audio"
	"github.com/rcemu/rcemu/internal/rctest"
)

// TestSeededCallHistory: a fresh instance has a call log to list, with a playable recording.
func TestSeededCallHistory(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	log := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/call-log?view=Detailed", Token: tok})
	if log.Status != 200 {
		t.Fatalf("call log: %d %s", log.Status, log.Body)
	}
	recs := log.Map(t)["records"].([]any)
	if len(recs) != 4 {
		t.Fatalf("ext 101 has %d records in the last 24 h, want 4: %s", len(recs), log.Body)
	}
	var recURI string
	results := map[string]int{}
	for _, r := range recs {
		m := r.(map[string]any)
		results[m["result"].(string)]++
		if len(m["legs"].([]any)) == 0 {
			t.Fatalf("Detailed record without legs: %v", m)
		}
		if rec, ok := m["recording"].(map[string]any); ok {
			recURI = rec["contentUri"].(string)
		}
	}
	if results["Missed"] != 1 || results["Accepted"] != 1 || results["Call connected"] != 2 {
		t.Fatalf("results = %v", results)
	}
	if recURI == "" {
		t.Fatal("no seeded recording")
	}
	content := a.Do(rctest.Req{Path: recURI[len(a.URL):], Token: tok})
	if content.Status != 200 || content.Header.Get("Content-Type") != audio.WAVContentType {
		t.Fatalf("recording content: %d %s", content.Status, content.Header)
	}
	if d, err := audio.Duration(content.Body); err != nil || d.Seconds() != 252 {
		t.Fatalf("recording lasts %v (%v), want 4m12s", d, err)
	}
	missed := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/call-log-sync?statusGroup=Missed", Token: tok})
	if missed.Status != 200 || len(missed.Map(t)["records"].([]any)) != 1 {
		t.Fatalf("missed sync: %d %s", missed.Status, missed.Body)
	}
}
