package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCompile is a cold start's spec work: parse the YAML and compile every operation.
// BenchmarkReadCache is a warm start's: decode the compiled form.
//
//	go test -run XXX -bench . ./internal/spec/

func benchSpec(b *testing.B) []byte {
	path := FindInModule()
	if path == "" {
		b.Skip("the spec has not been fetched (scripts/fetch-spec.sh)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkCompile(b *testing.B) {
	data := benchSpec(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCache(b *testing.B) {
	data := benchSpec(b)
	d, err := Compile(data)
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "spec.gob")
	if err := writeCache(file, d); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d2, err := readCache(file, d.Hash)
		if err != nil {
			b.Fatal(err)
		}
		d2.init()
	}
}
