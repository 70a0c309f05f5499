package query_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi/query"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		key  string
		want []string
	}{
		{"RepeatedKeysAreMultiValues", "messageType=SMS&messageType=Pager", "messageType", []string{"SMS", "Pager"}},
		{"PlusIsSpace", "q=John+Smith", "q", []string{"John Smith"}},
		{"PercentEscapes", "phoneNumber=%2B16505550101", "phoneNumber", []string{"+16505550101"}},
		{"EncodedKey", "date%46rom=2024", "dateFrom", []string{"2024"}},
		{"EmptyValue", "a=&b=1", "a", []string{""}},
		{"NoEquals", "flag&b=1", "flag", []string{""}},
		{"EmptyPairsSkipped", "&&a=1&&", "a", []string{"1"}},
		{"EqualsInValue", "a=b=c", "a", []string{"b=c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := query.Parse(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.All(tc.key); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("All(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestParseBadEscapeNamesTheParameter(t *testing.T) {
	_, err := query.Parse("page=1&dateFrom=%zz")
	var e *rc.Error
	if !errors.As(err, &e) || e.Code != "CMN-101" || e.Param != "dateFrom" || e.Status != 400 {
		t.Fatalf("got %#v, want CMN-101 for dateFrom", err)
	}
}

func TestEncodeKeepsOrderAndRoundTrips(t *testing.T) {
	v, _ := query.Parse("b=2&a=x+y&b=3&c=%26")
	if got, want := v.Encode(), "b=2&b=3&a=x+y&c=%26"; got != want {
		t.Fatalf("Encode = %q, want %q", got, want)
	}
	again, _ := query.Parse(v.Encode())
	if !reflect.DeepEqual(again.All("c"), []string{"&"}) || !reflect.DeepEqual(again.Keys(), []string{"b", "a", "c"}) {
		t.Fatalf("round trip lost data: %v", again.Keys())
	}
}

func TestInt(t *testing.T) {
	v, _ := query.Parse("page=2&perPage=abc&neg=-1")
	if n, err := v.Int("page", 1, 1, 100); err != nil || n != 2 {
		t.Fatalf("page = %d, %v", n, err)
	}
	if n, err := v.Int("missing", 7, 1, 100); err != nil || n != 7 {
		t.Fatalf("default = %d, %v", n, err)
	}
	for _, k := range []string{"perPage", "neg"} {
		_, err := v.Int(k, 1, 1, 100)
		var e *rc.Error
		if !errors.As(err, &e) || e.Param != k || e.Code != "CMN-101" {
			t.Fatalf("%s: got %v, want CMN-101", k, err)
		}
	}
}

func TestBool(t *testing.T) {
	v, _ := query.Parse("a=TRUE&b=false&c=yes")
	if b, err := v.Bool("a", false); err != nil || !b {
		t.Fatal("a")
	}
	if b, err := v.Bool("b", true); err != nil || b {
		t.Fatal("b")
	}
	if _, err := v.Bool("c", false); err == nil {
		t.Fatal("c: want error")
	}
}

func TestEnumIsUnionAndCanonical(t *testing.T) {
	allowed := []string{"SMS", "Pager", "Fax", "VoiceMail"}
	v, _ := query.Parse("messageType=sms&messageType=Pager,Fax")
	got, err := v.Enum("messageType", allowed)
	if err != nil || !reflect.DeepEqual(got, []string{"SMS", "Pager", "Fax"}) {
		t.Fatalf("Enum = %q, %v", got, err)
	}
	v, _ = query.Parse("messageType=SMS&messageType=Carrier+Pigeon")
	if _, err := v.Enum("messageType", allowed); err == nil {
		t.Fatal("want CMN-101 for an unknown value")
	}
	v, _ = query.Parse("")
	if got, err := v.Enum("messageType", allowed); err != nil || got != nil {
		t.Fatalf("absent: %v %v", got, err)
	}
}

func TestParseTimeForms(t *testing.T) {
	for in, want := range map[string]string{
		"2024":                         "2024-01-01T00:00:00Z",
		"2024-03":                      "2024-03-01T00:00:00Z",
		"2024-03-05":                   "2024-03-05T00:00:00Z",
		"2024-03-05T10:20":             "2024-03-05T10:20:00Z",
		"2024-03-05T10:20:30Z":         "2024-03-05T10:20:30Z",
		"2024-03-05T10:20:30.5+02:00":  "2024-03-05T08:20:30.5Z",
		"2024-03-05T10:20:30.123-0700": "2024-03-05T17:20:30.123Z",
		"2016-03-10T18:07:52.534Z":     "2016-03-10T18:07:52.534Z",
	} {
		got, err := query.ParseTime(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got.Format(time.RFC3339Nano) != want {
			t.Errorf("%s = %s, want %s", in, got.Format(time.RFC3339Nano), want)
		}
	}
	for _, bad := range []string{"yesterday", "2024-13-01", "2024-02-30", ""} {
		if _, err := query.ParseTime(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

// FuzzParse checks that any query string decodes without panicking, and that what decodes
// re-encodes to a string that decodes to the same values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a=1", "messageType=SMS&messageType=Pager", "q=a+b%20c", "%zz", "a=%", "&&=&=",
		"_method=PUT&x=%E2%82%AC", "k=v;w", "perPage=1000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := query.Parse(raw)
		if err != nil {
			var e *rc.Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("error is not a 400 rc.Error: %v", err)
			}
			return
		}
		again, err := query.Parse(v.Encode())
		if err != nil {
			t.Fatalf("re-encoded query does not parse: %v", err)
		}
		for _, k := range v.Keys() {
			if !reflect.DeepEqual(v.All(k), again.All(k)) {
				t.Fatalf("key %q: %q became %q", k, v.All(k), again.All(k))
			}
		}
		_, _ = v.Int("page", 1, 1, 1000)
		_, _, _ = v.Time("dateFrom")
	})
}

func TestInt64s(t *testing.T) {
	v, _ := query.Parse("c=4481650717038104652&c=1,2&bad=x")
	got, err := v.Int64s("c")
	if err != nil || !reflect.DeepEqual(got, []int64{4481650717038104652, 1, 2}) {
		t.Fatalf("Int64s = %v, %v", got, err)
	}
	if _, err := v.Int64s("bad"); err == nil {
		t.Fatal("want CMN-101")
	}
	if got, err := v.Int64s("none"); got != nil || err != nil {
		t.Fatalf("absent = %v %v", got, err)
	}
}
