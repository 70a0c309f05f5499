package notify

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Filter kinds rcemu delivers.
const (
	KindMessageStore    = "message-store"
	KindInstant         = "instant"
	KindVoicemail       = "voicemail"
	KindFax             = "fax"
	KindPresence        = "presence"
	KindAccountPresence = "account-presence"
	KindExtension       = "extension"
	KindExtensionList   = "extension-list"
	KindReminder        = "subscription"
	// Telephony sessions of one extension, or of the whole account; missed calls of one extension.
	KindTelephony        = "telephony"
	KindAccountTelephony = "account-telephony"
	KindMissedCalls      = "missed-calls"
	// Team messaging: post changes, and chat changes (the groups and chats filters).
	KindTMPosts = "team-messaging-posts"
	KindTMChats = "team-messaging-chats"
)

// teamMessagingFilters are the team-messaging filters, with the legacy Glip forms older bots
// still subscribe with. They name no account or extension: a subscriber gets the events of the
// chats they belong to.
var teamMessagingFilters = map[string]string{
	"/team-messaging/v1/posts":  KindTMPosts,
	"/team-messaging/v1/groups": KindTMChats,
	"/team-messaging/v1/chats":  KindTMChats,
	"/restapi/v1.0/glip/posts":  KindTMPosts,
	"/restapi/v1.0/glip/groups": KindTMChats,
}

// Filter is a parsed event filter.
type Filter struct {
	Raw         string // with ~ expanded, as echoed back and sent as `event`
	Kind        string
	AccountID   int64
	ExtensionID int64
	Types       []string
	Directions  []string
	Detailed    bool
	SipData     bool
	Threshold   int
	Interval    int
	// Telephony filters' variants: party status codes, and missed calls only.
	StatusCodes    []string
	Missed         bool
	PhoneNumber    string
	WithRecordings bool
}

var errFilter = errors.New("invalid event filter")

// extensionKinds are the filters under /account/{a}/extension/{e}, by what follows.
var extensionKinds = map[string]string{
	"":                      KindExtension,
	"message-store":         KindMessageStore,
	"message-store/instant": KindInstant,
	"voicemail":             KindVoicemail,
	"fax":                   KindFax,
	"presence":              KindPresence,
	"telephony/sessions":    KindTelephony,
	"missed-calls":          KindMissedCalls,
}

func pathID(seg string, own int64) (int64, error) {
	if seg == "~" {
		return own, nil
	}
	n, err := strconv.ParseInt(seg, 10, 64)
	if err != nil || n <= 0 {
		return 0, errFilter
	}
	return n, nil
}

// ParseFilter parses one event filter for a caller, expanding `~`.
func ParseFilter(raw string, caller *rc.Principal) (Filter, error) {
	path, rawQuery, _ := strings.Cut(strings.TrimSpace(raw), "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Filter{}, errFilter
	}
	if kind, ok := teamMessagingFilters[path]; ok && rawQuery == "" {
		return Filter{Raw: path, Kind: kind, AccountID: caller.AccountID, ExtensionID: caller.ExtensionID}, nil
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < 3 || segs[0] != "restapi" || (segs[1] != "v1.0" && segs[1] != "v1") {
		return Filter{}, errFilter
	}
	segs = segs[2:]
	f := Filter{}
	if segs[0] == "subscription" && len(segs) == 2 && segs[1] == "~" {
		f.Kind = KindReminder
		f.Threshold, _ = strconv.Atoi(q.Get("threshold"))
		f.Interval, _ = strconv.Atoi(q.Get("interval"))
		if f.Threshold <= 0 || f.Interval <= 0 {
			return Filter{}, errFilter
		}
		f.Raw = raw
		f.AccountID, f.ExtensionID = caller.AccountID, caller.ExtensionID
		return f, nil
	}
	if segs[0] != "account" || len(segs) < 2 {
		return Filter{}, errFilter
	}
	if f.AccountID, err = pathID(segs[1], caller.AccountID); err != nil {
		return Filter{}, err
	}
	rest := segs[2:]
	expanded := "/restapi/v1.0/account/" + strconv.FormatInt(f.AccountID, 10)
	switch {
	case len(rest) == 1 && rest[0] == "presence":
		f.Kind = KindAccountPresence
		expanded += "/presence"
	case len(rest) == 2 && rest[0] == "telephony" && rest[1] == "sessions":
		f.Kind = KindAccountTelephony
		expanded += "/telephony/sessions"
	case len(rest) == 1 && rest[0] == "extension":
		f.Kind = KindExtensionList
		expanded += "/extension"
	case len(rest) >= 2 && rest[0] == "extension":
		if f.ExtensionID, err = pathID(rest[1], caller.ExtensionID); err != nil {
			return Filter{}, err
		}
		expanded += "/extension/" + strconv.FormatInt(f.ExtensionID, 10)
		tail := strings.Join(rest[2:], "/")
		var ok bool
		if f.Kind, ok = extensionKinds[tail]; !ok {
			return Filter{}, errFilter
		}
		if tail != "" {
			expanded += "/" + tail
		}
	default:
		return Filter{}, errFilter
	}
	for _, t := range q["type"] {
		for _, v := range strings.Split(t, ",") {
			found := ""
			for _, mt := range rc.MessageTypes {
				if strings.EqualFold(mt, v) {
					found = mt
				}
			}
			if found == "" {
				return Filter{}, errFilter
			}
			f.Types = append(f.Types, found)
		}
	}
	for _, d := range q["direction"] {
		switch strings.ToLower(d) {
		case "inbound":
			f.Directions = append(f.Directions, "Inbound")
		case "outbound":
			f.Directions = append(f.Directions, "Outbound")
		default:
			return Filter{}, errFilter
		}
	}
	if f.Kind == KindTelephony || f.Kind == KindAccountTelephony {
		for _, raw := range q["statusCode"] {
			for _, v := range strings.Split(raw, ",") {
				found := ""
				for _, c := range rc.PartyStatuses {
					if strings.EqualFold(c, v) {
						found = c
					}
				}
				if found == "" {
					return Filter{}, errFilter
				}
				f.StatusCodes = append(f.StatusCodes, found)
			}
		}
		for _, b := range []struct {
			name string
			to   *bool
		}{{"missedCall", &f.Missed}, {"withRecordings", &f.WithRecordings}, {"sipData", &f.SipData}} {
			if v := q.Get(b.name); v != "" {
				if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
					return Filter{}, errFilter
				}
				*b.to = strings.EqualFold(v, "true")
			}
		}
		if v := q.Get("phoneNumber"); v != "" {
			f.PhoneNumber = strings.TrimPrefix(strings.TrimSpace(v), "+")
			if f.PhoneNumber == "" || strings.Trim(f.PhoneNumber, "0123456789") != "" {
				return Filter{}, errFilter
			}
		}
	} else if len(q["type"]) > 0 && (f.Kind == KindMissedCalls) {
		return Filter{}, errFilter
	}
	if f.Kind == KindInstant && len(f.Types) == 0 {
		f.Types = []string{"SMS"}
	}
	f.Detailed = strings.EqualFold(q.Get("detailedTelephonyState"), "true")
	f.SipData = strings.EqualFold(q.Get("sipData"), "true")
	f.Raw = expanded
	if rawQuery != "" {
		f.Raw += "?" + rawQuery
	}
	return f, nil
}

func subError(status int, code, msg string) *rc.Error {
	return &rc.Error{Status: status, Code: code, TopCode: code, Message: msg}
}

// FilterTargets tells whether an extension a filter names exists (store.ErrNotFound if not) and
// whether its presence may be watched.
type FilterTargets interface {
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	Presence(ctx context.Context, extensionID int64) (rc.Presence, error)
}

// ParseFilters parses and checks a subscription's filters: unknown ones are SUB-508 (all named
// at once); another account's are SUB-406; another extension's messages are SUB-405 for a
// non-administrator; an unknown extension is SUB-408.
func ParseFilters(ctx context.Context, s FilterTargets, raws []string, caller *rc.Principal) ([]Filter, error) {
	if len(raws) == 0 {
		return nil, rc.Missing("eventFilters")
	}
	var out []Filter
	var bad []string
	for _, raw := range raws {
		f, err := ParseFilter(raw, caller)
		if err != nil {
			bad = append(bad, raw)
			continue
		}
		out = append(out, f)
	}
	if len(bad) > 0 {
		e := subError(400, "SUB-508", "Invalid event filters: ["+strings.Join(bad, ", ")+"]")
		e.Param = "eventFilters"
		return nil, e
	}
	for _, f := range out {
		if f.AccountID != caller.AccountID {
			return nil, subError(403, "SUB-406", "Not allowed subscribe for events to extensions of other account")
		}
		if f.ExtensionID == 0 || f.ExtensionID == caller.ExtensionID {
			continue
		}
		if _, err := s.Extension(ctx, f.AccountID, f.ExtensionID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, subError(403, "SUB-408", "Not allowed subscribe for unknown user")
			}
			return nil, err
		}
		switch f.Kind {
		case KindMessageStore, KindInstant, KindVoicemail, KindFax, KindTelephony, KindMissedCalls:
			if !caller.Admin {
				return nil, subError(403, "SUB-405", "Not allowed subscribe for messages to other extensions")
			}
		case KindPresence:
			p, err := s.Presence(ctx, f.ExtensionID)
			if err != nil {
				return nil, err
			}
			if !p.AllowSeeMyPresence && !caller.Admin {
				return nil, subError(403, "SUB-403", "User disallowed to monitor his presence")
			}
		}
	}
	return out, nil
}

func contains(set []string, v string) bool {
	if len(set) == 0 {
		return true
	}
	for _, x := range set {
		if x == v {
			return true
		}
	}
	return false
}
