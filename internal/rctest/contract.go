package rctest

import (
	"net/url"
	"strings"
	"sync"

	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/spec"
)

// The contract: every response a test receives is checked against the spec's documented schema
// for its operation and status (spec.Document.CheckResponse), so drift between hand-written
// bodies and the spec fails the test that saw it. The spec is the one scripts/fetch-spec.sh puts
// in .cache/spec (or RCEMU_SPEC); without it the check is skipped. `make test` always fetches it.

var contract struct {
	once sync.Once
	doc  *spec.Document
	err  error
	path string
}

// ContractSpec returns the spec the contract check uses, loading it once per test process;
// nil when the spec has not been fetched. A spec that is there but does not load is an error.
func ContractSpec() (*spec.Document, error) {
	contract.once.Do(func() {
		contract.path = spec.FindInModule()
		if contract.path == "" {
			return
		}
		contract.doc, _, contract.err = spec.Load(contract.path, spec.LoadOptions{})
	})
	return contract.doc, contract.err
}

// SpecPath is the fetched spec's path, or "" when it has not been fetched.
func SpecPath() string { return spec.FindInModule() }

// Deliberate differences from the spec, each also stated in README's "Differences from
// RingCentral". A response matching one is not checked further; every other status and media
// type must be documented and every JSON body must validate.
var deliberate = []struct {
	op     string // operationId
	status int
	media  string // the response's media type; "" for any
	why    string
}{
	{"authorize", 200, "text/html", "rcemu serves its login page at the authorize URI; the platform redirects to its login host"},
	{"authorize2", 400, "text/html", "the login form is shown again with the error, as a browser expects"},
	{"readMessageContent", 200, "text/plain", "text attachments of SMS and pager messages are text/plain, which the spec omits"},
	{"readMessageContent", 206, "", "Range requests on attachments get 206, which the spec omits"},
	{"readMessageContent", 200, "text/html", "an MMS part keeps the type its sender gave it, served as a sandboxed download"},
	{"readContact", 207, "", "a bulk read answers 207 Multi-Status, as the batch-request guide describes; the operation lists 200 only"},
	{"updateContact", 207, "", "a bulk update answers 207 Multi-Status, as the batch-request guide describes"},
	{"deleteContact", 207, "", "a bulk delete with a failed part answers 207, as the batch-request guide describes"},
	{"listDirectoryEntries", 400, "", "the spec's ADGError enum lists Java renderings of the codes (ErrorCode{code='ADG-121', ...}); rcemu sends the code itself"},
	{"searchDirectoryEntries", 400, "", "the spec's ADGError enum lists Java renderings of the codes (ErrorCode{code='ADG-121', ...}); rcemu sends the code itself"},
	{"readDirectoryEntry", 400, "", "the spec's ADGError enum lists Java renderings of the codes (ErrorCode{code='ADG-121', ...}); rcemu sends the code itself"},
	{"readDirectoryEntry", 404, "", "the spec's ADGError enum lists Java renderings of the codes (ErrorCode{code='ADG-121', ...}); rcemu sends the code itself"},
	{"readDirectoryFederation", 400, "", "the spec's ADGError enum lists Java renderings of the codes (ErrorCode{code='ADG-121', ...}); rcemu sends the code itself"},
	{"readDirectoryFederation", 404, "", "the spec's ADGError enum lists Java renderings of the codes (ErrorCode{code='ADG-121', ...}); rcemu sends the code itself"},
	{"listDirectoryEntries", 304, "", "If-None-Match with the current ETag answers 304, as the platform does; the spec lists the header, not the status"},
	{"readDirectoryEntry", 304, "", "If-None-Match with the current ETag answers 304, as for the list"},
	{"readGlipPersonNew", 207, "", "comma-separated person ids get the platform's multi-status body, which the spec leaves out"},
	{"startCallRecording", 201, "application/json", "the platform answers the new recording {id, active}, which ringcentral-call-control reads; the spec documents no body"},
}

func isDeliberate(op string, status int, contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	for _, d := range deliberate {
		if d.op == op && d.status == status && (d.media == "" || d.media == mt) {
			return true
		}
	}
	return false
}

// WithSpec makes the app serve the spec-only operations from a spec file.
func WithSpec(path string) Option { return func(c *config.Config) { c.Spec = path } }

// WithStrict turns on the spec layer's strict validation.
func WithStrict() Option { return func(c *config.Config) { c.Strict = true } }

// checkContract validates a response against the spec's documented schema for its operation
// and status, and reports every difference at once.
func (a *App) checkContract(r Req, res *Response) {
	a.tb.Helper()
	doc, err := ContractSpec()
	if err != nil {
		a.tb.Errorf("contract: the spec %s does not load: %v", contract.path, err)
		return
	}
	if doc == nil {
		return
	}
	path, rawQuery, _ := strings.Cut(r.Path, "?")
	if strings.HasPrefix(path, "/_rcemu/") {
		return // the control plane is rcemu's own
	}
	method := r.Method
	if method == "" {
		method = "GET"
	}
	if method == "POST" {
		// Method tunnelling, as the conventions layer applies it.
		override := strings.ToUpper(strings.TrimSpace(r.Header.Get("X-HTTP-Method-Override")))
		if override == "" {
			if q, err := url.ParseQuery(rawQuery); err == nil {
				override = strings.ToUpper(strings.TrimSpace(q.Get("_method")))
			}
		}
		if override != "" {
			method = override
		}
	}
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	op, _ := doc.Match(method, path)
	if op == nil {
		return // no such operation: the gateway's 404/405
	}
	if isDeliberate(op.ID, res.Status, res.Header.Get("Content-Type")) {
		return
	}
	problems := doc.CheckResponse(op, res.Status, res.Header.Get("Content-Type"), res.Body)
	if len(problems) == 0 {
		return
	}
	a.tb.Errorf("contract: %s %s (operation %s) answered %d, which differs from the spec:\n  %s",
		method, r.Path, op.ID, res.Status, strings.Join(problems, "\n  "))
}
