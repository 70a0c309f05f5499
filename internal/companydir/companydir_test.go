package companydir_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/companydir"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

type fakeStore struct {
	accounts []rc.Account
	exts     []rc.Extension
	numbers  []rc.PhoneNumber
}

func (f *fakeStore) Accounts(context.Context) ([]rc.Account, error) { return f.accounts, nil }

func (f *fakeStore) ListExtensions(_ context.Context, q store.ExtensionFilter) ([]rc.Extension, int, error) {
	var out []rc.Extension
	for _, e := range f.exts {
		ok := e.AccountID == q.AccountID
		if len(q.Statuses) > 0 {
			found := false
			for _, s := range q.Statuses {
				found = found || s == e.Status
			}
			ok = ok && found
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, len(out), nil
}

func (f *fakeStore) ListPhoneNumbers(_ context.Context, q store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error) {
	var out []rc.PhoneNumber
	for _, n := range f.numbers {
		if n.AccountID == q.AccountID {
			out = append(out, n)
		}
	}
	return out, len(out), nil
}

func user(id, acc int64, num, first, last, dept string) rc.Extension {
	return rc.Extension{ID: id, AccountID: acc, ExtensionNumber: num, Type: "User", Status: "Enabled",
		Name: first + " " + last, Contact: rc.Contact{FirstName: first, LastName: last, Department: dept,
			Email: strings.ToLower(first) + "@example.com"}}
}

func ids(es []companydir.Entry) string {
	var s []string
	for _, e := range es {
		s = append(s, e.Extension.ExtensionNumber)
	}
	return strings.Join(s, ",")
}

func TestEntries(t *testing.T) {
	st := &fakeStore{
		accounts: []rc.Account{{ID: 1, CompanyName: "One"}, {ID: 2, CompanyName: "Two"}},
		exts: []rc.Extension{
			user(11, 1, "101", "Ada", "Lovelace", "Engines"),
			user(12, 1, "102", "Grace", "Hopper", "Navy"),
			{ID: 13, AccountID: 1, ExtensionNumber: "103", Type: "DigitalUser", Status: "NotActivated", Contact: rc.Contact{FirstName: "Alan", LastName: "Turing"}},
			{ID: 14, AccountID: 1, ExtensionNumber: "200", Type: "Department", Status: "Enabled", Name: "Support"},
			{ID: 15, AccountID: 1, ExtensionNumber: "300", Type: "ApplicationExtension", Status: "Enabled", Name: "Bot"},
			{ID: 16, AccountID: 1, ExtensionNumber: "104", Type: "User", Status: "Frozen", Name: "Frozen"},
			user(21, 2, "101", "Marie", "Curie", "Radium"),
		},
		numbers: []rc.PhoneNumber{{AccountID: 1, ExtensionID: 12, PhoneNumber: "+16505550102"}, {AccountID: 1, PhoneNumber: "+16505550100"}},
	}
	s := companydir.New(st)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    companydir.Query
		want string
	}{
		{"own account, listed statuses, no application extensions", companydir.Query{AccountID: 1}, "101,102,103,200"},
		{"federated", companydir.Query{AccountID: 2, Federated: true}, "101,101,102,103,200"},
		{"user types are User", companydir.Query{AccountID: 1, Types: []string{"User"}}, "101,102,103"},
		{"but their own type filters too", companydir.Query{AccountID: 1, ExtensionTypes: []string{"DigitalUser"}}, "103"},
		{"non-users", companydir.Query{AccountID: 1, UserGroup: "NonUser"}, "200"},
		{"every word matches some field", companydir.Query{AccountID: 1, Search: "grace NAVY"}, "102"},
		{"a word matching nothing", companydir.Query{AccountID: 1, Search: "grace army"}, ""},
		{"phone digits, word by word", companydir.Query{AccountID: 1, Search: "(650) 555-0102"}, "102"},
		{"a number not hosted", companydir.Query{AccountID: 1, Search: "555-0199"}, ""},
		{"phone digits as one word", companydir.Query{AccountID: 1, Search: "555-0102"}, "102"},
		{"fields limit the search", companydir.Query{AccountID: 1, Search: "ada", Fields: []string{"lastName"}}, ""},
		{"non-user names are searched as firstName", companydir.Query{AccountID: 1, Search: "supp", Fields: []string{"firstName"}}, "200"},
		{"department", companydir.Query{AccountID: 1, Department: "engines"}, "101"},
		{"sites match nothing", companydir.Query{AccountID: 1, SiteIDs: []string{"1"}}, ""},
		{"order", companydir.Query{AccountID: 1, Order: []companydir.Order{{Field: "lastName", Desc: true}}}, "103,101,102,200"},
	} {
		es, err := s.Entries(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := ids(es); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if e, err := s.Entry(ctx, 1, "21"); err != nil || e.Account.ID != 2 {
		t.Fatalf("a federated entry: %+v %v", e, err)
	}
	for _, id := range []string{"15", "16", "x", "-1", "99"} {
		if _, err := s.Entry(ctx, 1, id); rc.AsError(err).Code != "ADG-122" {
			t.Errorf("entry %s: %v, want ADG-122", id, err)
		}
	}
	if f, err := s.Federation(ctx, 2); err != nil || len(f.Accounts) != 2 || f.Type != "Regular" {
		t.Fatalf("federation: %+v %v", f, err)
	}
	st.accounts = st.accounts[:1]
	if _, err := s.Federation(ctx, 1); rc.AsError(err).Code != "ADG-105" {
		t.Fatalf("a lone account's federation: %v", err)
	}
	if es, _ := s.Entries(ctx, companydir.Query{AccountID: 1, Federated: true}); ids(es) != "101,102,103,200" {
		t.Fatalf("a lone account's federated directory: %s", ids(es))
	}
}
