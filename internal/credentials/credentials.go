// Package credentials collects what a client needs to reach an rcemu instance (server URL, app
// id and secret, each user's JWT and password) and renders it as RingCentral's usual .env lines
// or as the JSON document automation relies on.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// User is one user who can log in.
type User struct {
	AccountID       string   `json:"accountId"`
	ExtensionID     string   `json:"extensionId"`
	ExtensionNumber string   `json:"extensionNumber"`
	Name            string   `json:"name"`
	JWT             string   `json:"jwt"`
	Username        string   `json:"username"`
	Password        string   `json:"password"`
	PhoneNumbers    []string `json:"phoneNumbers"`
}

// Credentials is the `rcemu creds --format json` contract.
type Credentials struct {
	ServerURL    string `json:"serverUrl"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Users        []User `json:"users"`
}

// Source is what the credentials are read from: apps, users' credentials, and the directory
// entries they belong to.
type Source interface {
	Apps(ctx context.Context) ([]rc.App, error)
	Accounts(ctx context.Context) ([]rc.Account, error)
	Credentials(ctx context.Context) ([]rc.UserCredential, error)
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	ListPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error)
}

// Collect reads the credentials held in a store: the first confidential app, and the users of
// each account in account order, administrators first, then by extension number.
func Collect(ctx context.Context, s Source, serverURL string) (Credentials, error) {
	c := Credentials{ServerURL: serverURL, Users: []User{}}
	apps, err := s.Apps(ctx)
	if err != nil {
		return c, err
	}
	for _, a := range apps {
		if !a.Public() {
			c.ClientID, c.ClientSecret = a.ClientID, a.ClientSecret
			break
		}
	}
	if c.ClientID == "" && len(apps) > 0 {
		c.ClientID = apps[0].ClientID
	}
	accounts, err := s.Accounts(ctx)
	if err != nil {
		return c, err
	}
	creds, err := s.Credentials(ctx)
	if err != nil {
		return c, err
	}
	byAccount := map[int64][]rc.UserCredential{}
	for _, cr := range creds {
		byAccount[cr.AccountID] = append(byAccount[cr.AccountID], cr)
	}
	for _, a := range accounts {
		var users []struct {
			ext rc.Extension
			u   User
		}
		for _, cr := range byAccount[a.ID] {
			ext, err := s.Extension(ctx, a.ID, cr.ExtensionID)
			if errors.Is(err, store.ErrNotFound) {
				continue // a credential outliving its extension logs no one in
			}
			if err != nil {
				return c, err
			}
			nums, _, err := s.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: a.ID, ExtensionID: ext.ID})
			if err != nil {
				return c, err
			}
			phones := []string{}
			for _, n := range nums {
				phones = append(phones, n.PhoneNumber)
			}
			users = append(users, struct {
				ext rc.Extension
				u   User
			}{ext, User{AccountID: strconv.FormatInt(a.ID, 10), ExtensionID: strconv.FormatInt(ext.ID, 10),
				ExtensionNumber: ext.ExtensionNumber, Name: ext.Name, JWT: cr.JWT, Username: cr.Username,
				Password: cr.Password, PhoneNumbers: phones}})
		}
		sort.SliceStable(users, func(i, j int) bool {
			ei, ej := users[i].ext, users[j].ext
			if ei.Admin != ej.Admin {
				return ei.Admin
			}
			if len(ei.ExtensionNumber) != len(ej.ExtensionNumber) {
				return len(ei.ExtensionNumber) < len(ej.ExtensionNumber)
			}
			return ei.ExtensionNumber < ej.ExtensionNumber
		})
		for _, u := range users {
			c.Users = append(c.Users, u.u)
		}
	}
	return c, nil
}

// WriteEnv prints the credentials as .env lines: the first user under RingCentral's usual names,
// every user in comments.
func (c Credentials) WriteEnv(w io.Writer) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("RC_SERVER_URL=%s\n", c.ServerURL)
	p("RC_APP_CLIENT_ID=%s\nRC_APP_CLIENT_SECRET=%s\n", c.ClientID, c.ClientSecret)
	p("RC_CLIENT_ID=%s\nRC_CLIENT_SECRET=%s\n", c.ClientID, c.ClientSecret)
	if len(c.Users) > 0 {
		u := c.Users[0]
		p("RC_USER_JWT=%s\nRC_JWT=%s\n", u.JWT, u.JWT)
		p("RC_USERNAME=%s\nRC_PASSWORD=%s\nRC_EXTENSION=%s\n", u.Username, u.Password, u.ExtensionNumber)
	}
	for _, u := range c.Users {
		p("# account %s, extension %s (id %s) %s: username %s, password %s, jwt %s\n",
			u.AccountID, u.ExtensionNumber, u.ExtensionID, u.Name, u.Username, u.Password, u.JWT)
	}
	return nil
}
