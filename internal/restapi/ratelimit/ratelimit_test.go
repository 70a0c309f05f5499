package ratelimit_test

import (
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func TestSlidingWindowAndPenalty(t *testing.T) {
	c := &clock{time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	l := ratelimit.New(c, ratelimit.Enforce)
	for i := range 10 {
		d, ok := l.Take("app", 1, "readCallLog", "Heavy")
		if !ok || d.Refuse || d.Remaining != 9-i {
			t.Fatalf("call %d: %+v %v", i+1, d, ok)
		}
		c.t = c.t.Add(time.Second)
	}
	d, _ := l.Take("app", 1, "readCallLog", "Heavy")
	if !d.Refuse || d.RetryAfter != time.Minute {
		t.Fatalf("11th call in the window: %+v", d)
	}
	// Another user, another app and another group have their own counts.
	for _, k := range []struct {
		app   string
		ext   int64
		group string
	}{{"app", 2, "Heavy"}, {"other", 1, "Heavy"}, {"app", 1, "Light"}} {
		if d, _ := l.Take(k.app, k.ext, "x", k.group); d.Refuse {
			t.Fatalf("%+v refused", k)
		}
	}
	// 59 s on, a call restarts the penalty (the window alone would have room by then).
	c.t = c.t.Add(59 * time.Second)
	if d, _ := l.Take("app", 1, "readCallLog", "Heavy"); !d.Refuse {
		t.Fatal("a call during the penalty was let through")
	}
	c.t = c.t.Add(59 * time.Second)
	if d, _ := l.Take("app", 1, "readCallLog", "Heavy"); !d.Refuse {
		t.Fatal("the penalty was not restarted by the call during it")
	}
	c.t = c.t.Add(61 * time.Second)
	if d, _ := l.Take("app", 1, "readCallLog", "Heavy"); d.Refuse || d.Remaining != 9 {
		t.Fatalf("after the penalty: %+v", d)
	}
}

func TestReportCountsButNeverRefuses(t *testing.T) {
	c := &clock{time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	l := ratelimit.New(c, ratelimit.Report)
	var last ratelimit.Decision
	for range 7 {
		last, _ = l.Take("app", 1, "getToken", "Auth")
	}
	if last.Refuse || !last.Limited || last.Remaining != 0 {
		t.Fatalf("7th Auth call in report mode: %+v", last)
	}
	counts, _ := l.Counts()
	if len(counts) != 1 || counts[0].Requests != 7 || counts[0].Limited != 2 {
		t.Fatalf("counts: %+v", counts)
	}
	if _, ok := l.Take("app", 1, "readAPIVersions", "NoThrottling"); ok {
		t.Fatal("NoThrottling is counted")
	}
	l.SetMode(ratelimit.Off)
	if _, ok := l.Take("app", 1, "getToken", "Auth"); ok {
		t.Fatal("off mode counted")
	}
}

func TestTripsTheNthCall(t *testing.T) {
	c := &clock{time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	l := ratelimit.New(c, ratelimit.Report)
	l.AddTrip(ratelimit.Trip{Operation: "readExtension", After: 2})
	l.AddTrip(ratelimit.Trip{Group: "heavy"})
	var got []bool
	for range 4 {
		d, _ := l.Take("app", 1, "readExtension", "Light")
		got = append(got, d.Refuse)
	}
	if want := []bool{false, false, true, false}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("readExtension refusals %v, want %v", got, want)
	}
	if d, _ := l.Take("app", 1, "readCallLog", "Heavy"); !d.Refuse {
		t.Fatal("the group trip did not fire")
	}
	if _, trips := l.Counts(); len(trips) != 0 {
		t.Fatalf("trips left: %v", trips)
	}
	l.AddTrip(ratelimit.Trip{Group: "Medium"})
	l.Reset()
	if d, _ := l.Take("app", 1, "x", "Medium"); d.Refuse {
		t.Fatal("a trip outlived the reset")
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]ratelimit.Mode{"off": ratelimit.Off, "REPORT": ratelimit.Report, "": ratelimit.Report, " enforce ": ratelimit.Enforce} {
		if m, err := ratelimit.ParseMode(in); err != nil || m != want {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	if _, err := ratelimit.ParseMode("strict"); err == nil {
		t.Error("strict accepted")
	}
}

// BenchmarkTake is the accounting cost of one request in report mode (compare with
// BenchmarkGetExtensionHandler in internal/app: the target is < 5 % of it).
func BenchmarkTake(b *testing.B) {
	c := &clock{time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	l := ratelimit.New(c, ratelimit.Report)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		l.Take("app", int64(i%100), "readExtension", "Light")
	}
}

// Two limiters counting one app's requests together: what one admitted fills the other's
// window, a penalty one started refuses on the other, and a reset of one reaches the other
// through its epoch.
func TestDeltasMergeIntoAnotherLimiter(t *testing.T) {
	c := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a, b := ratelimit.New(c, ratelimit.Enforce), ratelimit.New(c, ratelimit.Enforce)
	a.Share()
	b.Share()
	for range 8 {
		if d, _ := a.Take("app", 1, "op", "Heavy"); d.Refuse {
			t.Fatal("a refused within its limit")
		}
	}
	if ds := a.TakeDeltas(); len(ds) != 1 || len(ds[0].Hits) != 8 || ds[0].Requests != 8 {
		t.Fatalf("deltas %+v", ds)
	} else {
		b.Merge(ds)
	}
	if ds := a.TakeDeltas(); len(ds) != 0 {
		t.Fatalf("deltas again: %+v", ds)
	}
	for i := range 2 {
		if d, _ := b.Take("app", 1, "op", "Heavy"); d.Refuse || d.Remaining != 1-i {
			t.Fatalf("b's call %d: %+v (a admitted 8 of 10)", i+1, d)
		}
	}
	if d, _ := b.Take("app", 1, "op", "Heavy"); !d.Refuse {
		t.Fatal("b admitted an 11th call")
	}
	a.Merge(b.TakeDeltas())
	if d, _ := a.Take("app", 1, "op", "Heavy"); !d.Refuse {
		t.Fatal("a admitted a call during the penalty b started")
	}
	counts, _ := a.Counts()
	if len(counts) != 1 || counts[0].Requests != 12 || counts[0].Limited != 2 {
		t.Fatalf("a's tally: %+v", counts)
	}
	a.Reset()
	b.ResetTo(a.Epoch())
	if d, _ := b.Take("app", 1, "op", "Heavy"); d.Refuse {
		t.Fatal("b kept counting after a's reset reached it")
	}
}
