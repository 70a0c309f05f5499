package config

import (
	"io"
	"testing"
)

func TestSpecFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		name   string
		args   []string
		env    map[string]string
		strict bool
		spec   string
		cache  string
		err    bool
	}{
		{name: "defaults"},
		{name: "flags", args: []string{"--strict", "--spec", "a.yml", "--spec-cache", "off"}, strict: true, spec: "a.yml", cache: "off"},
		{name: "env", env: map[string]string{"RCEMU_STRICT": "true", "RCEMU_SPEC": "b.yml", "RCEMU_SPEC_CACHE": "/c"}, strict: true, spec: "b.yml", cache: "/c"},
		{name: "flag beats env", args: []string{"--strict=false"}, env: map[string]string{"RCEMU_STRICT": "1"}},
		{name: "bad env", env: map[string]string{"RCEMU_STRICT": "maybe"}, err: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Serve(c.args, env(c.env), io.Discard)
			if (err != nil) != c.err {
				t.Fatalf("err %v", err)
			}
			if c.err {
				return
			}
			if cfg.Strict != c.strict || cfg.Spec != c.spec || cfg.SpecCache != c.cache {
				t.Fatalf("strict %v spec %q cache %q", cfg.Strict, cfg.Spec, cfg.SpecCache)
			}
		})
	}
}
