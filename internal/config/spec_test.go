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

func TestSpecFetchFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		name     string
		args     []string
		env      map[string]string
		spec     string
		fetch    string
		registry string
		err      bool
	}{
		{name: "defaults", fetch: "on", registry: "https://registry.npmjs.org/"},
		{name: "required", args: []string{"--spec", "required"}, spec: "required", fetch: "on", registry: "https://registry.npmjs.org/"},
		{name: "env off", env: map[string]string{"RCEMU_SPEC_FETCH": "off", "RCEMU_SPEC": "required"}, spec: "required", fetch: "off", registry: "https://registry.npmjs.org/"},
		{name: "flag beats env", args: []string{"--spec-fetch", "on"}, env: map[string]string{"RCEMU_SPEC_FETCH": "off"}, fetch: "on", registry: "https://registry.npmjs.org/"},
		{name: "false is off", env: map[string]string{"RCEMU_SPEC_FETCH": "FALSE"}, fetch: "off", registry: "https://registry.npmjs.org/"},
		{name: "registries", env: map[string]string{"npm_config_registry": "https://npm.corp/", "RCEMU_NPM_REGISTRY": "http://127.0.0.1:4873/"}, fetch: "on", registry: "http://127.0.0.1:4873/"},
		{name: "npm's registry", env: map[string]string{"npm_config_registry": "https://npm.corp/"}, fetch: "on", registry: "https://npm.corp/"},
		{name: "bad fetch", env: map[string]string{"RCEMU_SPEC_FETCH": "sometimes"}, err: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Serve(c.args, env(c.env), io.Discard)
			if (err != nil) != c.err {
				t.Fatalf("err %v", err)
			}
			if c.err {
				return
			}
			if cfg.Spec != c.spec || cfg.SpecFetch != c.fetch || cfg.NPMRegistry != c.registry {
				t.Fatalf("spec %q fetch %q registry %q", cfg.Spec, cfg.SpecFetch, cfg.NPMRegistry)
			}
		})
	}
}
