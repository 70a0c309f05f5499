package specmock

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/restapi/query"
	"github.com/rcemu/rcemu/internal/spec"
)

// conventionParams are query parameters of the conventions layer, valid on every operation.
var conventionParams = map[string]bool{"access_token": true, "_method": true}

func (o *operation) checkPath(r *restapi.Request) error {
	for _, p := range o.path {
		if p.router == "accountId" || p.router == "extensionId" {
			continue // the conventions layer resolved and checked it (`~` or a positive id)
		}
		raw := r.Param(p.router)
		if raw == "" {
			return rc.Missing(p.Name)
		}
		if !o.validParam(p.Parameter, raw) {
			return rc.Invalid(p.Name)
		}
	}
	return nil
}

func (o *operation) checkQuery(r *restapi.Request) error {
	for _, p := range o.query {
		vals := r.Query.All(p.Name)
		if len(vals) == 0 {
			if p.Required {
				return rc.Missing(p.Name)
			}
			continue
		}
		if !o.isArray(p.Schema) {
			if o.opt.Strict && len(vals) > 1 {
				return invalid(p.Name, "must be given once")
			}
		}
		for _, v := range vals {
			if p.Name == "perPage" && clampedPerPage(v) {
				continue
			}
			if !o.validParam(p, v) {
				return rc.Invalid(p.Name)
			}
		}
	}
	if o.opt.Strict {
		for _, k := range r.Query.Keys() {
			if !o.known[k] && !conventionParams[k] {
				return invalid(k, "is not recognized")
			}
		}
	}
	return nil
}

func (o *operation) checkHeaders(r *restapi.Request) error {
	for _, p := range o.header {
		v := r.Header.Get(p.Name)
		if v == "" {
			if p.Required {
				return rc.Missing(p.Name)
			}
			continue
		}
		if !o.validParam(p, v) {
			return rc.Invalid(p.Name)
		}
	}
	return nil
}

// invalid is CMN-101 with the reason in place of the platform's "value is invalid".
func invalid(name, reason string) *rc.Error {
	e := rc.Invalid(name)
	e.Message = "Parameter [" + name + "] " + reason
	return e
}

func (o *operation) isArray(si int) bool {
	for _, s := range o.doc.AllOf(si) {
		if o.doc.Schema(s).Type == "array" {
			return true
		}
	}
	return false
}

// clampedPerPage: a perPage above the documented maximum is clamped, not refused, as the
// platform (and restapi/paging) does.
func clampedPerPage(v string) bool {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return err == nil && n > paging.MaxPerPage
}

// validParam checks one raw parameter value. Arrays are comma-separated (style simple, or form
// without explode); an exploded array's repeated keys arrive one by one, and enumerated items may
// still be comma-separated, as the platform accepts.
func (o *operation) validParam(p *spec.Parameter, raw string) bool {
	if raw == "" && !p.AllowEmpty && !o.emptyOK(p.Schema) {
		return false
	}
	return o.validRaw(p.Schema, raw, p.In == "query" && p.Explode)
}

func (o *operation) emptyOK(si int) bool {
	for _, s := range o.doc.AllOf(si) {
		if t := o.doc.Schema(s).Type; t != "" && t != "string" {
			return false
		}
	}
	return true
}

func (o *operation) validRaw(si int, raw string, exploded bool) bool {
	all := o.doc.AllOf(si)
	typ := ""
	var alts []int
	for _, i := range all {
		s := o.doc.Schema(i)
		if typ == "" {
			typ = s.Type
		}
		alts = append(alts, s.OneOf...)
		alts = append(alts, s.AnyOf...)
	}
	if len(alts) > 0 {
		// A parameter that is "an integer or the keyword max" takes whichever member fits.
		for _, a := range alts {
			if o.validRaw(a, raw, exploded) {
				return true
			}
		}
		return false
	}
	if typ == "array" {
		var items []int
		for _, i := range all {
			if it := o.doc.Schema(i).Items; it != spec.None {
				items = append(items, it)
			}
		}
		parts := []string{raw}
		if !exploded || o.hasEnum(items) {
			parts = strings.Split(raw, ",")
		}
		var vals []any
		for _, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" && len(parts) > 1 {
				continue
			}
			for _, it := range items {
				if !o.validRaw(it, part, true) {
					return false
				}
			}
			vals = append(vals, part)
		}
		// Array keywords (minItems, maxItems) on the split list; items were checked above.
		for _, i := range all {
			s := o.doc.Schema(i)
			if int64(len(vals)) < s.MinItems || (s.MaxItems >= 0 && int64(len(vals)) > s.MaxItems) {
				return false
			}
		}
		return true
	}
	v, ok := o.coerce(all, typ, raw)
	if !ok {
		return false
	}
	for _, i := range all {
		if len(o.doc.Validate(i, v, spec.Mode{Request: true})) > 0 {
			return false
		}
	}
	return true
}

func (o *operation) hasEnum(set []int) bool {
	for _, si := range set {
		for _, i := range o.doc.AllOf(si) {
			if len(o.doc.Schema(i).Enum) > 0 {
				return true
			}
		}
	}
	return false
}

// coerce turns a raw parameter into the JSON value its schema describes: numbers, booleans in
// any case, enum values in any case (as the platform matches them), date-times in the platform's
// forms (YYYY, YYYY-MM-DD, no zone...).
func (o *operation) coerce(all []int, typ, raw string) (any, bool) {
	switch typ {
	case "integer", "number":
		t := strings.TrimSpace(raw)
		if _, err := strconv.ParseFloat(t, 64); err != nil {
			return nil, false
		}
		return json.Number(t), true
	case "boolean":
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	}
	for _, i := range all {
		for _, ev := range o.doc.EnumStrings(i) {
			if strings.EqualFold(ev, strings.TrimSpace(raw)) {
				return ev, true
			}
		}
		if o.doc.Schema(i).Format == "date-time" {
			t, err := query.ParseTime(raw)
			if err != nil {
				return nil, false
			}
			return rc.FormatTime(t), true
		}
	}
	return raw, true
}
