package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The bare baseline: a plain net/http server whose one handler answers a JSON document shaped
// and sized like rcemu's GET /restapi/v1.0/account/~/extension/~ body (≈2.1 kB, absolute URIs
// built from the Host header). It builds and encodes the document on every request, as a
// hand-written JSON handler does; -static writes pre-encoded bytes instead (a stricter
// baseline: nothing but net/http). No routing, authentication or storage.

type bareRef struct {
	ID  string `json:"id"`
	URI string `json:"uri"`
}

type bareCountry struct {
	ID          string `json:"id"`
	URI         string `json:"uri"`
	Name        string `json:"name"`
	ISOCode     string `json:"isoCode"`
	CallingCode string `json:"callingCode"`
}

type bareTimezone struct {
	URI         string `json:"uri"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Bias        string `json:"bias"`
}

type bareLocale struct {
	ID         string `json:"id"`
	LocaleCode string `json:"localeCode"`
	Name       string `json:"name"`
}

type bareFeature struct {
	FeatureName string `json:"featureName"`
	Enabled     bool   `json:"enabled"`
}

type bareExtension struct {
	ID      int64  `json:"id"`
	URI     string `json:"uri"`
	Contact struct {
		FirstName        string `json:"firstName"`
		LastName         string `json:"lastName"`
		Company          string `json:"company"`
		Email            string `json:"email"`
		BusinessPhone    string `json:"businessPhone"`
		EmailAsLoginName bool   `json:"emailAsLoginName"`
	} `json:"contact"`
	ExtensionNumber string `json:"extensionNumber"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Status          string `json:"status"`
	Permissions     struct {
		Admin struct {
			Enabled bool `json:"enabled"`
		} `json:"admin"`
		InternationalCalling struct {
			Enabled bool `json:"enabled"`
		} `json:"internationalCalling"`
	} `json:"permissions"`
	ProfileImage struct {
		URI string `json:"uri"`
	} `json:"profileImage"`
	Hidden           bool    `json:"hidden"`
	CreationTime     string  `json:"creationTime"`
	Account          bareRef `json:"account"`
	RegionalSettings struct {
		HomeCountry      bareCountry  `json:"homeCountry"`
		Timezone         bareTimezone `json:"timezone"`
		Language         bareLocale   `json:"language"`
		GreetingLanguage bareLocale   `json:"greetingLanguage"`
		FormattingLocale bareLocale   `json:"formattingLocale"`
		TimeFormat       string       `json:"timeFormat"`
	} `json:"regionalSettings"`
	ServiceFeatures  []bareFeature `json:"serviceFeatures"`
	SetupWizardState string        `json:"setupWizardState"`
}

var bareFeatureNames = []string{"CallerIdControl", "CallForwarding", "Conferencing", "DND", "Fax", "FaxReceiving",
	"InternationalCalling", "InternationalSMS", "MMS", "Pager", "PagerReceiving", "Presence", "RingOut", "SMS",
	"SMSReceiving", "Voicemail", "VoipCalling", "WebPhone"}

func bareDocument(base string) *bareExtension {
	const accountID, extID = "159048008", "171857008"
	acc := base + "/restapi/v1.0/account/" + accountID
	e := &bareExtension{ID: 171857008, URI: acc + "/extension/" + extID, ExtensionNumber: "101",
		Name: "Ada Lovelace", Type: "User", Status: "Enabled", CreationTime: "2024-01-01T00:00:00.000Z",
		Account: bareRef{ID: accountID, URI: acc}, SetupWizardState: "Completed"}
	e.Contact.FirstName, e.Contact.LastName, e.Contact.Company = "Ada", "Lovelace", "Example Company"
	e.Contact.Email, e.Contact.BusinessPhone = "ada.lovelace@example.com", "+16505550101"
	e.Permissions.Admin.Enabled, e.Permissions.InternationalCalling.Enabled = true, true
	e.ProfileImage.URI = e.URI + "/profile-image"
	rs := &e.RegionalSettings
	rs.HomeCountry = bareCountry{ID: "1", URI: base + "/restapi/v1.0/dictionary/country/1", Name: "United States",
		ISOCode: "US", CallingCode: "1"}
	rs.Timezone = bareTimezone{URI: base + "/restapi/v1.0/dictionary/timezone/61", ID: "61",
		Name: "America/Los_Angeles", Description: "Pacific Time (US & Canada)", Bias: "-480"}
	l := bareLocale{ID: "1033", LocaleCode: "en-US", Name: "English (United States)"}
	rs.Language, rs.GreetingLanguage, rs.FormattingLocale, rs.TimeFormat = l, l, l, "12h"
	e.ServiceFeatures = make([]bareFeature, len(bareFeatureNames))
	for i, n := range bareFeatureNames {
		e.ServiceFeatures[i] = bareFeature{FeatureName: n, Enabled: true}
	}
	return e
}

const bareContentType = "application/json;charset=utf-8"

func bareHandler(static bool, base string) http.Handler {
	encode := func(base string) ([]byte, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // as rcemu: "&" stays as it is
		if err := enc.Encode(bareDocument(base)); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	if static {
		b, _ := encode(base)
		cl := strconv.Itoa(len(b))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Type"] = []string{bareContentType}
			h["Content-Length"] = []string{cl}
			_, _ = w.Write(b)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := encode("http://" + r.Host)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		h := w.Header()
		h.Set("Content-Type", bareContentType)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(200)
		_, _ = w.Write(b)
	})
}

// runBare is the hidden `__bare` mode: serve until stdin closes (the parent holds a pipe to it,
// so the server also ends when the parent dies) or the lifetime runs out.
func runBare(args []string) int {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	static := fs.Bool("static", false, "write pre-encoded bytes")
	life := fs.Duration("life", 10*time.Minute, "exit after this long whatever happens")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		return 1
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: bareHandler(*static, url), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 120 * time.Second}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	time.AfterFunc(*life, func() { os.Exit(0) })
	fmt.Printf("LISTEN %s\n", url)
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		return 1
	}
	return 0
}
