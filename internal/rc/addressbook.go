package rc

import "time"

// ContactAddress is a postal address of a personal contact.
type ContactAddress struct {
	Street  string `json:"street,omitempty"`
	City    string `json:"city,omitempty"`
	State   string `json:"state,omitempty"`
	Zip     string `json:"zip,omitempty"`
	Country string `json:"country,omitempty"`
}

// ContactAttributes are what a user sets on a personal contact (PersonalContactRequest). An
// empty string or a nil address is an attribute the contact does not have.
type ContactAttributes struct {
	FirstName       string          `json:"firstName,omitempty"`
	LastName        string          `json:"lastName,omitempty"`
	MiddleName      string          `json:"middleName,omitempty"`
	NickName        string          `json:"nickName,omitempty"`
	Company         string          `json:"company,omitempty"`
	JobTitle        string          `json:"jobTitle,omitempty"`
	Email           string          `json:"email,omitempty"`
	Email2          string          `json:"email2,omitempty"`
	Email3          string          `json:"email3,omitempty"`
	Birthday        string          `json:"birthday,omitempty"`
	WebPage         string          `json:"webPage,omitempty"`
	Notes           string          `json:"notes,omitempty"`
	HomePhone       string          `json:"homePhone,omitempty"`
	HomePhone2      string          `json:"homePhone2,omitempty"`
	BusinessPhone   string          `json:"businessPhone,omitempty"`
	BusinessPhone2  string          `json:"businessPhone2,omitempty"`
	MobilePhone     string          `json:"mobilePhone,omitempty"`
	BusinessFax     string          `json:"businessFax,omitempty"`
	CompanyPhone    string          `json:"companyPhone,omitempty"`
	AssistantPhone  string          `json:"assistantPhone,omitempty"`
	CarPhone        string          `json:"carPhone,omitempty"`
	OtherPhone      string          `json:"otherPhone,omitempty"`
	OtherFax        string          `json:"otherFax,omitempty"`
	CallbackPhone   string          `json:"callbackPhone,omitempty"`
	HomeAddress     *ContactAddress `json:"homeAddress,omitempty"`
	BusinessAddress *ContactAddress `json:"businessAddress,omitempty"`
	OtherAddress    *ContactAddress `json:"otherAddress,omitempty"`
	RingtoneIndex   string          `json:"ringtoneIndex,omitempty"`
	AppInfo         string          `json:"appInfo,omitempty"`
}

// Phones lists the contact's phone numbers that are set.
func (a *ContactAttributes) Phones() []string {
	var out []string
	for _, p := range []string{a.HomePhone, a.HomePhone2, a.BusinessPhone, a.BusinessPhone2, a.MobilePhone,
		a.BusinessFax, a.CompanyPhone, a.AssistantPhone, a.CarPhone, a.OtherPhone, a.OtherFax, a.CallbackPhone} {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// PersonalContact is a record of an extension's personal address book.
type PersonalContact struct {
	ID          int64 `json:"id"`
	AccountID   int64 `json:"accountId"`
	ExtensionID int64 `json:"extensionId"`
	ContactAttributes
	// Availability is Alive, or Deleted for a contact that only address-book sync still reports.
	Availability     string    `json:"availability"`
	CreationTime     time.Time `json:"creationTime"`
	LastModifiedTime time.Time `json:"lastModifiedTime"`
	// Seq orders changes for address-book sync; the store assigns it on every write.
	Seq int64 `json:"seq"`
}

// FavoriteContact is one entry of an extension's favorites: a colleague (ExtensionID, in
// AccountID) or one of the owner's personal contacts (ContactID).
type FavoriteContact struct {
	ID          int64 `json:"id"`
	AccountID   int64 `json:"accountId,omitempty"`
	ExtensionID int64 `json:"extensionId,omitempty"`
	ContactID   int64 `json:"contactId,omitempty"`
}
