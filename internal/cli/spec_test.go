package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/cli"
	"github.com/rcemu/rcemu/internal/spec"
)

func TestSpecCoverage(t *testing.T) {
	path := spec.FindInModule()
	if path == "" {
		t.Skip("the spec has not been fetched (scripts/fetch-spec.sh)")
	}
	getenv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	if code := cli.Run(context.Background(), []string{"spec", "coverage", "--spec", path, "--format", "json"}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc struct {
		Operations, Stateful, Spec int
		Coverage                   []struct {
			Method, Path, OperationID, Tier, ThrottlingGroup, AppPermission, UserPermission string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Operations != len(doc.Coverage) || doc.Stateful+doc.Spec != doc.Operations || doc.Stateful == 0 {
		t.Fatalf("%d operations: %d stateful, %d spec; %d rows", doc.Operations, doc.Stateful, doc.Spec, len(doc.Coverage))
	}
	seen := map[string]string{}
	for _, r := range doc.Coverage {
		seen[r.OperationID] = r.Tier
		if r.ThrottlingGroup == "" {
			t.Errorf("%s has no throttling group", r.OperationID)
		}
	}
	if seen["readExtension"] != "stateful" || seen["listCallQueues"] != "spec" {
		t.Fatalf("tiers: readExtension %q, listCallQueues %q", seen["readExtension"], seen["listCallQueues"])
	}

	out.Reset()
	if code := cli.Run(context.Background(), []string{"spec", "coverage", "--spec", path}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "stateful  GET     /restapi/v1.0/account/{accountId}/extension/{extensionId}  ") &&
		!strings.Contains(out.String(), "readExtension") {
		t.Fatalf("text output lacks readExtension:\n%.500s", out.String())
	}
	if !strings.Contains(out.String(), " operations: ") {
		t.Fatal("no summary line")
	}
}
