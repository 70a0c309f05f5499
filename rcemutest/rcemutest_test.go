package rcemutest_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/rcemutest"
)

// Servers share nothing: each parallel subtest writes to its own emulator and sees only its own
// writes.
func TestParallelServersAreIndependent(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := rcemutest.Start(t)
			text := fmt.Sprintf("hello from test %d", i)
			ada := s.Users[0]
			tok, err := s.AccessToken(ada)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", s.URL+"/restapi/v1.0/account/~/extension/~/sms",
				strings.NewReader(`{"from":{"phoneNumber":"`+ada.PhoneNumbers[0]+`"},"to":[{"phoneNumber":"+13125550188"}],"text":"`+text+`"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := s.HTTPClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("sms: %d", res.StatusCode)
			}
			out, err := s.Outbox()
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].Text != text || out[0].MessageStatus != "Delivered" {
				t.Fatalf("outbox %+v", out)
			}
		})
	}
}

func TestClockAndCalls(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := rcemutest.Start(t, rcemutest.WithClock(start), rcemutest.WithRateLimits("enforce"))
	if now, err := s.Now(); err != nil || !now.Equal(start) {
		t.Fatalf("now %v, %v", now, err)
	}
	if err := s.Advance(90 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if now, _ := s.Now(); !now.Equal(start.Add(90 * time.Minute)) {
		t.Fatalf("after advance: %v", now)
	}
	grace, ok := s.User("102")
	if !ok {
		t.Fatal("no user 102")
	}
	call, err := s.PlaceCall(rcemutest.Call{From: "+13125550188", To: grace.PhoneNumbers[0]})
	if err != nil || call.TelephonySessionID == "" || len(call.Parties) == 0 {
		t.Fatalf("call %+v, %v", call, err)
	}
	if _, err := s.InjectSMS("+13125550188", "+19995550000", "nobody"); err == nil {
		t.Fatal("a text to a number rcemu does not host was accepted")
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
}

func TestSeedDocument(t *testing.T) {
	t.Parallel()
	seed := []byte(`
jwtSigningKey: k
apps: [{clientId: c1, clientSecret: s1, grants: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]}]
accounts:
  - mainNumber: "+16505550100"
    phoneNumbers: [{phoneNumber: "+16505550100", usageType: MainCompanyNumber}]
    extensions:
      - {extensionNumber: "7", firstName: Kay, lastName: Ell, admin: true, password: pw,
         phoneNumbers: [{phoneNumber: "+16505550107", features: [SmsSender]}]}
`)
	s := rcemutest.Start(t, rcemutest.WithSeed(seed), rcemutest.WithSpec("off"))
	if s.ClientID != "c1" || s.ClientSecret != "s1" || len(s.Users) != 1 {
		t.Fatalf("%s %s %+v", s.ClientID, s.ClientSecret, s.Users)
	}
	u := s.Users[0]
	if u.ExtensionNumber != "7" || u.ID == "" || u.JWT == "" || u.Password != "pw" || u.PhoneNumbers[0] != "+16505550107" {
		t.Fatalf("user %+v", u)
	}
	if _, err := s.AccessToken(u); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	if s2 := rcemutest.Start(t, rcemutest.WithSeedFile(path), rcemutest.WithSpec("off")); s2.Users[0].Name != "Kay Ell" {
		t.Fatalf("seed file: %+v", s2.Users)
	}
}
