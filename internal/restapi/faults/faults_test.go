package faults_test

import (
	"testing"

	"github.com/rcemu/rcemu/internal/restapi/faults"
)

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"/restapi/v1.0/account/*/extension/*/sms", "/restapi/v1.0/account/~/extension/~/sms", true},
		{"/restapi/v1.0/account/*/extension/*/sms", "/restapi/v1.0/account/~/extension/~/sms/1", false},
		{"/restapi/v1.0/account/*/**", "/restapi/v1.0/account/~/extension/~/sms/1", true},
		{"/restapi/v1.0/account/*/**", "/restapi/v1.0", false},
		{"/restapi/v1.0/account/1*", "/restapi/v1.0/account/159048008", true},
		{"/restapi/v1.0/account/2*", "/restapi/v1.0/account/159048008", false},
		{"/restapi/[", "/restapi/x", false},
	} {
		if got := faults.Matches(c.pattern, c.path); got != c.want {
			t.Errorf("Matches(%q, %q) = %v", c.pattern, c.path, got)
		}
	}
}

func TestTimesAndFilters(t *testing.T) {
	i := faults.New(1)
	r, err := i.Add(faults.Rule{Operation: "readExtension", Status: 503, Times: 2})
	if err != nil || r.ErrorCode != "CMN-201" || r.Message != "Service Temporary Unavailable" || r.ID == "" {
		t.Fatalf("add: %+v %v", r, err)
	}
	if _, err := i.Add(faults.Rule{Method: "post", Path: "/restapi/v1.0/account/*/extension/*/sms", ClientID: "app", Drop: true}); err != nil {
		t.Fatal(err)
	}
	for k, want := range []bool{true, true, false} {
		if _, hit := i.Match("GET", "/x", "readExtension", "app"); hit != want {
			t.Fatalf("readExtension call %d: %v", k+1, hit)
		}
	}
	if _, hit := i.Match("POST", "/restapi/v1.0/account/~/extension/~/sms", "createSMSMessage", "other"); hit {
		t.Fatal("another app's SMS matched")
	}
	if f, hit := i.Match("POST", "/restapi/v1.0/account/~/extension/~/sms", "createSMSMessage", "app"); !hit || !f.Drop || f.Hits != 1 {
		t.Fatalf("SMS drop: %+v %v", f, hit)
	}
	rules, _ := i.Rules()
	if len(rules) != 1 || rules[0].Left != -1 {
		t.Fatalf("the used-up rule stayed: %+v", rules)
	}
	if !i.Remove(rules[0].ID) || i.Remove(rules[0].ID) || !i.Empty() {
		t.Fatal("remove")
	}
}

func TestProbabilityIsRepeatableWithASeed(t *testing.T) {
	run := func(seed uint64) []bool {
		i := faults.New(seed)
		if _, err := i.Add(faults.Rule{Status: 500, Probability: 0.3}); err != nil {
			t.Fatal(err)
		}
		var out []bool
		for range 200 {
			_, hit := i.Match("GET", "/p", "op", "app")
			out = append(out, hit)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	hits, same := 0, true
	for k := range a {
		if a[k] {
			hits++
		}
		same = same && a[k] == c[k]
		if a[k] != b[k] {
			t.Fatalf("seed 7 differs at call %d", k)
		}
	}
	if hits < 40 || hits > 80 {
		t.Fatalf("%d of 200 calls failed at p=0.3", hits)
	}
	if same {
		t.Fatal("seeds 7 and 8 fail the same calls")
	}
}

func TestCheckRefusesNonsense(t *testing.T) {
	for _, r := range []faults.Rule{{}, {Status: 200}, {Status: 500, Drop: true}, {LatencyMS: -1}, {Status: 500, Probability: 2},
		{Status: 500, Times: -1}, {Status: 500, Path: "restapi"}} {
		if err := r.Check(); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

// A rule limited to some calls asks Claim for each: one refused has no calls left anywhere and
// goes; Replace takes another injector's rules and numbers new ones after them.
func TestClaimAndReplace(t *testing.T) {
	in := faults.New(1)
	grant := 1
	in.Claim = func(string) bool { grant--; return grant >= 0 }
	r, err := in.Add(faults.Rule{Status: 503, Times: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in.Match("GET", "/x", "", ""); !ok {
		t.Fatal("the first call, granted, did not fail")
	}
	if _, ok := in.Match("GET", "/x", "", ""); ok {
		t.Fatal("a call Claim refused failed")
	}
	if !in.Empty() {
		t.Fatal("a rule refused a call is kept")
	}
	other := faults.New(2)
	other.Replace([]faults.Rule{r}, 9)
	if rules, seed := other.Rules(); len(rules) != 1 || rules[0].ID != r.ID || seed != 9 {
		t.Fatalf("replaced: %v seed %d", rules, seed)
	}
	if n, _ := other.Add(faults.Rule{Status: 500}); n.ID != "fault-2" {
		t.Fatalf("next id after %s: %s", r.ID, n.ID)
	}
}
