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
		Operations, HandWritten, StatefulGeneric, Generated int
		Coverage                                            []struct {
			Method, Path, OperationID, Tier, Role, ThrottlingGroup, AppPermission, UserPermission string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Operations != len(doc.Coverage) || doc.HandWritten+doc.StatefulGeneric+doc.Generated != doc.Operations ||
		doc.HandWritten == 0 || doc.StatefulGeneric == 0 || doc.Generated == 0 {
		t.Fatalf("%d operations: %d hand-written, %d stateful-generic, %d generated; %d rows", doc.Operations,
			doc.HandWritten, doc.StatefulGeneric, doc.Generated, len(doc.Coverage))
	}
	seen, roles := map[string]string{}, map[string]string{}
	for _, r := range doc.Coverage {
		seen[r.OperationID], roles[r.OperationID] = r.Tier, r.Role
		if r.ThrottlingGroup == "" {
			t.Errorf("%s has no throttling group", r.OperationID)
		}
	}
	if seen["readExtension"] != "hand-written" || seen["listCallQueues"] != "generated" ||
		seen["createAnsweringRule"] != "stateful-generic" || roles["createAnsweringRule"] != "create" ||
		roles["readAnsweringRule"] != "read" {
		t.Fatalf("tiers: readExtension %q, listCallQueues %q, createAnsweringRule %q/%q, readAnsweringRule %q", seen["readExtension"],
			seen["listCallQueues"], seen["createAnsweringRule"], roles["createAnsweringRule"], roles["readAnsweringRule"])
	}

	out.Reset()
	if code := cli.Run(context.Background(), []string{"spec", "coverage", "--spec", path}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "hand-written  GET     /restapi/v1.0/account/{accountId}/extension/{extensionId}  ") &&
		!strings.Contains(out.String(), "readExtension") {
		t.Fatalf("text output lacks readExtension:\n%.500s", out.String())
	}
	if !strings.Contains(out.String(), " operations: ") {
		t.Fatal("no summary line")
	}
}
