package messaging

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Kick wakes the scheduler to look for due status changes again: a send scheduled one, or the
// messages changed behind its back (reset, import).
func (s *Service) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run applies due status changes until ctx ends. It knows when the next one is due and looks at
// the store only once the clock (which also runs by itself, and can be moved) has reached it,
// or when woken by a send; an idle emulator then costs no queries.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var next time.Time // zero: nothing scheduled
	known := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
			known = false
		}
		if known && (next.IsZero() || s.Clock.Now().Before(next)) {
			continue
		}
		if _, err := s.ApplyDue(ctx); err != nil {
			if ctx.Err() == nil {
				log.Error("apply due message status changes", "err", err)
			}
			known = false
			continue
		}
		at, ok, err := s.store.NextDue(ctx)
		next, known = time.Time{}, err == nil
		if ok {
			next = at
		}
	}
}

// ApplyDue applies every status change the clock has reached and returns how many messages
// changed.
func (s *Service) ApplyDue(ctx context.Context) (int, error) {
	total := 0
	for {
		now := s.Clock.Now()
		due, err := s.store.DueMessages(ctx, now, 500)
		if err != nil || len(due) == 0 {
			return total, err
		}
		for i := range due {
			for due[i].Pending != nil && !due[i].Pending.At.After(now) {
				applyStatus(&due[i], *due[i].Pending)
			}
		}
		arrivals, err := s.settleDueFaxes(ctx, due)
		if err != nil {
			return total, err
		}
		if err := s.store.UpdateMessages(ctx, due...); err != nil {
			return total, err
		}
		if len(arrivals) > 0 {
			if err := s.store.InsertMessages(ctx, arrivals...); err != nil {
				return total, err
			}
		}
		s.publish(arrivals, due)
		total += len(due)
	}
}

// ForceStatus sets an outbound message's status now (for tests of status handling), cancelling
// anything scheduled.
func (s *Service) ForceStatus(ctx context.Context, messageID int64, status, errorCode string) (rc.Message, error) {
	m, err := s.store.MessageByID(ctx, messageID)
	if err != nil {
		return m, err
	}
	if !slices.Contains(rc.MessageStatuses, status) {
		return m, rc.Invalid("messageStatus")
	}
	applyStatus(&m, rc.StatusChange{At: s.Clock.Now(), Status: status, ErrorCode: errorCode})
	m.Pending = nil
	return m, s.save(ctx, []rc.Message{m})
}

// Outbox lists texts sent to outside numbers, newest first.
func (s *Service) Outbox(ctx context.Context, limit int) ([]rc.Message, error) {
	return s.store.Outbox(ctx, limit)
}
