package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/clock"
	"github.com/rcemu/rcemu/internal/control"
	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/faults"
	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/voice"
	"github.com/rcemu/rcemu/internal/wsg"
)

// What instances sharing one PostgreSQL database keep in step beyond the stored state: the
// control plane's settings, the rate-limit counts, and the WebSocket notifications and sessions
// that move between instances (the store carries them; this file decides when).
//
// What the control plane sets is held in memory (the clock, outbound delays, call timings,
// faults, the rate-limit mode and trips). After every control-plane request that may change it,
// the instance that took the request writes it as one document and announces it, and the others
// take it in. A fault or trip limited to a number of calls counts them in the database, so that
// "the next call fails" fails one call whichever instance takes it.

const settingControl = "control"

type controlState struct {
	Clock       clock.State      `json:"clock"`
	Delays      messaging.Delays `json:"delays"`
	Voice       voice.Timings    `json:"voice"`
	Faults      []faults.Rule    `json:"faults"`
	FaultSeed   uint64           `json:"faultSeed"`
	LimitsMode  string           `json:"limitsMode"`
	LimitsEpoch int64            `json:"limitsEpoch"` // counts the rate limiter's resets
	Trips       []ratelimit.Trip `json:"trips"`
	// Counts names the shared count of each fault limited to some calls ("fault:" and its id)
	// and each trip ("trip:" and its id).
	Counts map[string]string `json:"counts"`
}

func (a *App) controlState() controlState {
	rules, seed := a.Faults.Rules()
	_, trips := a.Limits.Counts()
	counts := map[string]string{}
	a.sharedMu.Lock()
	count := func(rule string) {
		if a.counts[rule] == "" {
			// Named at random: a rule's id alone could be made again by a later run.
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			a.counts[rule] = "count:" + hex.EncodeToString(b)
		}
		counts[rule] = a.counts[rule]
	}
	for _, r := range rules {
		if r.Left > 0 {
			count("fault:" + r.ID)
		}
	}
	for _, tr := range trips {
		count("trip:" + tr.ID)
	}
	a.sharedMu.Unlock()
	return controlState{Clock: a.Clock.State(), Delays: a.Msgs.Delays(), Voice: a.Voice.Timings(), Faults: rules, FaultSeed: seed,
		LimitsMode: a.Limits.Mode().String(), LimitsEpoch: a.Limits.Epoch(), Trips: trips, Counts: counts}
}

// publishControl writes this instance's control state for the others.
func (a *App) publishControl(ctx context.Context) error {
	st := a.controlState()
	// A count is made once, by the first publication of its rule; later ones leave it alone.
	for _, tr := range st.Trips {
		if err := a.Store.InitSerial(ctx, st.Counts["trip:"+tr.ID], int64(tr.After)+1); err != nil {
			return err
		}
	}
	for _, r := range st.Faults {
		if name := st.Counts["fault:"+r.ID]; name != "" {
			if err := a.Store.InitSerial(ctx, name, int64(r.Left)); err != nil {
				return err
			}
		}
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return a.Store.PublishSetting(ctx, settingControl, string(doc))
}

// takeControl applies the control state another instance published.
func (a *App) takeControl(ctx context.Context) {
	doc, err := a.Store.Setting(ctx, settingControl)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	var st controlState
	if err == nil {
		err = json.Unmarshal([]byte(doc), &st)
	}
	if err != nil {
		a.Log.Error("read the control state another instance published", "err", err)
		return
	}
	a.Clock.SetState(st.Clock)
	a.Msgs.SetDelays(st.Delays)
	a.Voice.SetTimings(st.Voice)
	a.sharedMu.Lock()
	a.counts = st.Counts
	if a.counts == nil {
		a.counts = map[string]string{}
	}
	a.sharedMu.Unlock()
	a.Faults.Replace(st.Faults, st.FaultSeed)
	if m, err := ratelimit.ParseMode(st.LimitsMode); err == nil {
		a.Limits.SetMode(m)
	}
	a.Limits.ResetTo(st.LimitsEpoch)
	a.Limits.SetTrips(st.Trips)
	a.Msgs.Kick() // the clock may have moved past due work
	a.Voice.Kick()
}

// takeCount takes one call from the count all instances share of a rule ("fault:" or "trip:"
// and its id) and returns what is left; shared is false when the rule has none (it is not
// published yet, or the database failed), and this instance's own count decides.
func (a *App) takeCount(rule string) (left int64, ok, shared bool) {
	a.sharedMu.Lock()
	name := a.counts[rule]
	a.sharedMu.Unlock()
	if name == "" {
		return 0, true, false
	}
	left, ok, err := a.Store.TakeSerial(context.Background(), name)
	if err != nil {
		a.Log.Error("count a call of a shared rule", "rule", rule, "err", err)
		return 0, true, false
	}
	return left, ok, true
}

// claimFault is the faults' Claim: a limited fault fails a call only if the shared count grants
// it.
func (a *App) claimFault(id string) bool {
	_, ok, _ := a.takeCount("fault:" + id)
	return ok
}

// claimTrip is the rate limiter's ClaimTrip (a negative left: no shared count).
func (a *App) claimTrip(id string) (int64, bool) {
	left, ok, shared := a.takeCount("trip:" + id)
	if !shared {
		return -1, true
	}
	return left, ok
}

// sharesControl says whether a request may change the control state: a control-plane request
// other than a read.
func sharesControl(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || !strings.HasPrefix(r.URL.Path, control.Prefix+"/") {
		return false
	}
	switch strings.Split(strings.TrimPrefix(r.URL.Path, control.Prefix+"/"), "/")[0] {
	case "clock", "messaging", "voice", "faults", "rate-limits", "reset":
		return true
	}
	return false
}

// shareControl publishes the control state after the requests that may change it, before
// their answer goes out: a client that then calls another instance finds it there.
func (a *App) shareControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sharesControl(r) {
			next.ServeHTTP(w, r)
			return
		}
		held := restapi.NewRecorder() // control-plane answers are small and never streamed
		next.ServeHTTP(held, r)
		if err := a.publishControl(r.Context()); err != nil {
			a.Log.Error("publish the control state", "err", err)
		}
		held.WriteTo(w)
	})
}

// rateSyncEvery is how often instances sharing a database exchange their rate-limit counts:
// requests spread over several instances within it may see that much more admitted before a
// 429 than one instance would allow.
const rateSyncEvery = 200 * time.Millisecond

// syncRateCounts exchanges rate-limit counts with the other instances until ctx ends.
func (a *App) syncRateCounts(ctx context.Context) {
	t := time.NewTicker(rateSyncEvery)
	defer t.Stop()
	var after int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.exchangeRateCounts(ctx, &after); err != nil && ctx.Err() == nil {
			a.Log.Warn("exchange rate-limit counts", "err", err)
		}
	}
}

func (a *App) exchangeRateCounts(ctx context.Context, after *int64) error {
	if a.Limits.Mode() == ratelimit.Off {
		return nil // nothing is counted; what others count meanwhile waits in the table
	}
	epoch := a.Limits.Epoch()
	if ds := a.Limits.TakeDeltas(); len(ds) > 0 {
		doc, err := json.Marshal(ds)
		if err != nil {
			return err
		}
		if err := a.Store.PutRateCounts(ctx, epoch, string(doc)); err != nil {
			return err
		}
	}
	rows, err := a.Store.OthersRateCounts(ctx, *after)
	if err != nil {
		return err
	}
	for _, r := range rows {
		*after = r.ID
		if r.Epoch != a.Limits.Epoch() {
			continue // counted before (or after) a reset this instance is not at
		}
		var ds []ratelimit.Delta
		if err := json.Unmarshal([]byte(r.Data), &ds); err != nil {
			return err
		}
		a.Limits.Merge(ds)
	}
	return nil
}

// claimRelayed takes the WebSocket notifications other instances relayed to this one's
// sessions, each time it is told there are some, until ctx ends. It runs apart from the change
// listener, so that a burst of relays costs one claim, not one each.
func (a *App) claimRelayed(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.relayed:
		}
		held := a.WSG.Held()
		if len(held) == 0 {
			continue
		}
		notes, err := a.Store.ClaimWS(ctx, held)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("take WebSocket notifications relayed by another instance", "err", err)
		}
		for _, n := range notes {
			a.Notify.WS(n.Session, n.Body)
		}
	}
}

// claimSoon wakes the claimer of relayed WebSocket notifications; one wake-up waiting is
// enough, since it takes everything there is.
func (a *App) claimSoon() {
	select {
	case a.relayed <- struct{}{}:
	default:
	}
}

// takeoverWait bounds the wait for another instance to give up a WebSocket session a client
// recovers here; when none holds it, the recovery fails after it, as for an expired session.
const takeoverWait = time.Second

// takeoverWS asks the other instances for a WebSocket session this one does not hold.
func (a *App) takeoverWS(ctx context.Context, id, owner string) (wsg.Handoff, bool) {
	answered := make(chan struct{}, 1)
	a.sharedMu.Lock()
	a.handoffs[id] = answered
	a.sharedMu.Unlock()
	defer func() {
		a.sharedMu.Lock()
		delete(a.handoffs, id)
		a.sharedMu.Unlock()
	}()
	if err := a.Store.AskWS(ctx, id, owner); err != nil {
		a.Log.Error("ask for a WebSocket session", "err", err)
		return wsg.Handoff{}, false
	}
	t := time.NewTimer(takeoverWait)
	defer t.Stop()
	select {
	case <-answered:
	case <-t.C:
		return wsg.Handoff{}, false
	case <-ctx.Done():
		return wsg.Handoff{}, false
	}
	doc, err := a.Store.TakeWS(ctx, id)
	var h wsg.Handoff
	if err == nil {
		err = json.Unmarshal([]byte(doc), &h)
	}
	if err != nil {
		a.Log.Error("take a WebSocket session over", "err", err)
		return wsg.Handoff{}, false
	}
	return h, true
}

// giveWS gives a WebSocket session this instance holds to the instance that asked for it.
func (a *App) giveWS(id, owner, requester string) {
	to, err := strconv.ParseInt(requester, 10, 64)
	if err != nil {
		return
	}
	h, ok := a.WSG.Release(id, owner)
	if !ok {
		return // not this instance's
	}
	doc, err := json.Marshal(h)
	if err == nil {
		err = a.Store.GiveWS(context.Background(), id, to, string(doc))
	}
	if err != nil {
		a.Log.Error("give a WebSocket session to another instance", "err", err)
	}
}
