package rcemutest_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/rcemu/rcemu/rcemutest"
)

// A test starts its own emulator with rcemutest.Start(t); an Example has no t, so it uses New
// and Close, which do the same outside a test.
func Example() {
	s, err := rcemutest.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ada := s.Users[0]
	token, err := s.AccessToken(ada) // what an SDK's JWT login does
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := s.InjectSMS("+13125550188", ada.PhoneNumbers[0], "Are we still on for Friday?"); err != nil {
		fmt.Println(err)
		return
	}

	req, _ := http.NewRequest("GET", s.URL+"/restapi/v1.0/account/~/extension/~/message-store?direction=Inbound&perPage=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := s.HTTPClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var list struct {
		Records []struct {
			Subject string `json:"subject"`
			From    struct {
				PhoneNumber string `json:"phoneNumber"`
			} `json:"from"`
		} `json:"records"`
	}
	_ = json.NewDecoder(res.Body).Decode(&list)
	fmt.Println(ada.ExtensionNumber, ada.Name)
	fmt.Println(list.Records[0].From.PhoneNumber, list.Records[0].Subject)
	// Output:
	// 101 Ada Lovelace
	// +13125550188 Are we still on for Friday?
}
