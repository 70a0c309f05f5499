package directory

// Country, Timezone and Language are the dictionary entries regional settings refer to. rcemu
// knows the handful a seed uses; the ids are the platform's.
type Country struct {
	ID, ISOCode, Name, CallingCode string
}

type Timezone struct {
	ID, Name, Description, Bias string
}

type Language struct {
	ID, LocaleCode, Name string
}

var countries = []Country{
	{"1", "US", "United States", "1"},
	{"39", "CA", "Canada", "1"},
	{"224", "GB", "United Kingdom", "44"},
	{"75", "FR", "France", "33"},
	{"83", "DE", "Germany", "49"},
	{"16", "AU", "Australia", "61"},
}

var timezones = []Timezone{
	{"58", "America/New_York", "Eastern Time (US & Canada)", "-300"},
	{"59", "America/Chicago", "Central Time (US & Canada)", "-360"},
	{"60", "America/Denver", "Mountain Time (US & Canada)", "-420"},
	{"61", "America/Los_Angeles", "Pacific Time (US & Canada)", "-480"},
	{"73", "Europe/London", "London", "0"},
	{"76", "Europe/Paris", "Paris", "60"},
	{"91", "UTC", "Coordinated Universal Time", "0"},
}

var languages = []Language{
	{"1033", "en-US", "English (United States)"},
	{"2057", "en-GB", "English (United Kingdom)"},
	{"1036", "fr-FR", "French (France)"},
	{"1031", "de-DE", "German (Germany)"},
}

// CountryByISO finds a country by its ISO code, falling back to the United States.
func CountryByISO(iso string) Country {
	for _, c := range countries {
		if c.ISOCode == iso {
			return c
		}
	}
	return countries[0]
}

// CountryByID finds a country by its platform id.
func CountryByID(id string) (Country, bool) {
	for _, c := range countries {
		if c.ID == id {
			return c, true
		}
	}
	return Country{}, false
}

// TimezoneByName finds a timezone by its IANA name, falling back to Pacific time.
func TimezoneByName(name string) Timezone {
	for _, t := range timezones {
		if t.Name == name {
			return t
		}
	}
	return timezones[3]
}

// TimezoneByID finds a timezone by its platform id.
func TimezoneByID(id string) (Timezone, bool) {
	for _, t := range timezones {
		if t.ID == id {
			return t, true
		}
	}
	return Timezone{}, false
}

// LanguageByLocale finds a language by locale code, falling back to US English.
func LanguageByLocale(code string) Language {
	for _, l := range languages {
		if l.LocaleCode == code {
			return l
		}
	}
	return languages[0]
}

// LanguageByID finds a language by its platform id.
func LanguageByID(id string) (Language, bool) {
	for _, l := range languages {
		if l.ID == id {
			return l, true
		}
	}
	return Language{}, false
}
