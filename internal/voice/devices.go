package voice

import (
	"context"
	"strconv"

	"github.com/rcemu/rcemu/internal/rc"
)

// Device is a phone an extension calls from. Every user has one softphone, whose id derives from
// the extension's, so that devices need no storage and stay the same across resets.
type Device struct {
	ID          int64
	AccountID   int64
	ExtensionID int64
	Type        string // SoftPhone
	Name        string
	Status      string // Online
	PhoneNumber rc.PhoneNumber
	HasNumber   bool
}

// deviceIDOf is the id of an extension's softphone.
func deviceIDOf(extensionID int64) int64 { return extensionID*1000 + 804 }

func deviceID(e rc.Extension) int64 { return deviceIDOf(e.ID) }

// hasDevice says whether an extension type has a softphone.
func hasDevice(e rc.Extension) bool {
	switch e.Type {
	case "User", "DigitalUser", "VirtualUser", "FlexibleUser":
		return true
	}
	return false
}

func (s *Service) ownsDevice(e rc.Extension, id int64) bool { return hasDevice(e) && id == deviceID(e) }

func (s *Service) ownsDeviceID(extensionID, id int64) bool { return id == deviceIDOf(extensionID) }

// deviceError is the platform's answer for a device that is not the caller's.
func deviceError(id int64) *rc.Error {
	return &rc.Error{Status: 400, Code: "CMN-102", TopCode: "CMN-102", Param: "deviceId",
		Message: "Resource for parameter [deviceId] is not found"}
}

// Devices lists an extension's devices.
func (s *Service) Devices(ctx context.Context, e rc.Extension) ([]Device, error) {
	if !hasDevice(e) {
		return []Device{}, nil
	}
	d := Device{ID: deviceID(e), AccountID: e.AccountID, ExtensionID: e.ID, Type: "SoftPhone",
		Name: e.Name + " RingCentral App", Status: "Online"}
	nums, err := s.store.ExtensionPhoneNumbers(ctx, e.AccountID, e.ID)
	if err != nil {
		return nil, err
	}
	for _, n := range nums {
		if n.Type != "FaxOnly" {
			d.PhoneNumber, d.HasNumber = n, true
			break
		}
	}
	return []Device{d}, nil
}

// Device returns a device of the account by id; 404 CMN-102 naming deviceId otherwise.
func (s *Service) Device(ctx context.Context, accountID int64, id string) (Device, rc.Extension, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n%1000 != 804 {
		return Device{}, rc.Extension{}, rc.NotFound("deviceId")
	}
	e, err := s.store.Extension(ctx, accountID, n/1000)
	if notFound(err) || (err == nil && !hasDevice(e)) {
		return Device{}, rc.Extension{}, rc.NotFound("deviceId")
	}
	if err != nil {
		return Device{}, rc.Extension{}, err
	}
	ds, err := s.Devices(ctx, e)
	if err != nil {
		return Device{}, e, err
	}
	return ds[0], e, nil
}

// ExtensionID looks an extension number of an account up, for bodies that name agents by number.
func (s *Service) ExtensionID(ctx context.Context, accountID int64, number string) (int64, error) {
	e, err := s.store.ExtensionByNumber(ctx, accountID, number)
	if err != nil {
		return 0, err
	}
	return e.ID, nil
}
