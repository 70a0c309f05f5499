package control

import (
	"net/http"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/voice"
)

// callOut is a live session as the control plane reports it: the engine's own view, with every
// party and the steps still scheduled.
type callOut struct {
	ID           string         `json:"telephonySessionId"`
	SessionID    string         `json:"sessionId"`
	AccountID    int64          `json:"accountId"`
	Origin       string         `json:"origin"`
	CreationTime string         `json:"creationTime"`
	Sequence     int64          `json:"sequence"`
	Parties      []rc.CallParty `json:"parties"`
	Steps        []rc.CallStep  `json:"steps"`
}

func newCallOut(s rc.CallSession) callOut {
	steps := s.Steps
	if steps == nil {
		steps = []rc.CallStep{}
	}
	return callOut{ID: s.ID, SessionID: s.SessionID(), AccountID: s.AccountID, Origin: s.Origin,
		CreationTime: rc.FormatTime(s.CreationTime), Sequence: s.Sequence, Parties: s.Parties, Steps: steps}
}

func (h *Handlers) simulateCall(w http.ResponseWriter, r *restapi.Request) error {
	var in voice.InboundCall
	if err := r.DecodeJSON(&in); err != nil {
		return err
	}
	s, err := h.Voice.Simulate(r.Context(), in)
	if err != nil {
		return err
	}
	// The steps already due ran; report the session as it now stands.
	if cur, err := h.Voice.Live(r.Context(), s.ID); err == nil {
		s = cur
	} else if !rc.IsNotFound(err) {
		return err
	}
	return restapi.JSON(w, 201, newCallOut(s))
}

func (h *Handlers) listCalls(w http.ResponseWriter, r *restapi.Request) error {
	calls, err := h.Voice.AllLive(r.Context())
	if err != nil {
		return err
	}
	out := make([]callOut, len(calls))
	for i, c := range calls {
		out[i] = newCallOut(c)
	}
	return restapi.JSON(w, 200, map[string]any{"records": out})
}

func (h *Handlers) endCall(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.Voice.End(r.Context(), r.Param("telephonySessionId")); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

// voiceSettings is the timings document of /_rcemu/voice, in seconds.
type voiceSettings struct {
	RingSeconds      *float64 `json:"ringSeconds,omitempty"`
	TalkSeconds      *float64 `json:"talkSeconds,omitempty"`
	NoAnswerSeconds  *float64 `json:"noAnswerSeconds,omitempty"`
	VoicemailSeconds *float64 `json:"voicemailSeconds,omitempty"`
}

type voiceBody struct {
	RingSeconds      float64           `json:"ringSeconds"`
	TalkSeconds      float64           `json:"talkSeconds"`
	NoAnswerSeconds  float64           `json:"noAnswerSeconds"`
	VoicemailSeconds float64           `json:"voicemailSeconds"`
	ReservedNumbers  map[string]string `json:"reservedNumbers"`
}

func (h *Handlers) voiceBody() voiceBody {
	t := h.Voice.Timings()
	res := map[string]string{}
	for n, b := range voice.Reserved {
		res[n] = string(b)
	}
	return voiceBody{RingSeconds: t.Ring.Seconds(), TalkSeconds: t.Talk.Seconds(), NoAnswerSeconds: t.NoAnswer.Seconds(),
		VoicemailSeconds: t.Voicemail.Seconds(), ReservedNumbers: res}
}

func (h *Handlers) getVoice(w http.ResponseWriter, r *restapi.Request) error {
	return restapi.JSON(w, 200, h.voiceBody())
}

func (h *Handlers) putVoice(w http.ResponseWriter, r *restapi.Request) error {
	var in voiceSettings
	if err := r.DecodeJSON(&in); err != nil {
		return err
	}
	t := h.Voice.Timings()
	set := func(v *float64, d *time.Duration, name string, zeroOK bool) error {
		if v == nil {
			return nil
		}
		if *v < 0 || *v > 86400 || (!zeroOK && *v == 0) {
			return rc.Invalid(name)
		}
		*d = time.Duration(*v * float64(time.Second))
		return nil
	}
	for _, f := range []error{set(in.RingSeconds, &t.Ring, "ringSeconds", true), set(in.TalkSeconds, &t.Talk, "talkSeconds", true),
		set(in.NoAnswerSeconds, &t.NoAnswer, "noAnswerSeconds", false), set(in.VoicemailSeconds, &t.Voicemail, "voicemailSeconds", false)} {
		if f != nil {
			return f
		}
	}
	h.Voice.SetTimings(t)
	return restapi.JSON(w, 200, h.voiceBody())
}
