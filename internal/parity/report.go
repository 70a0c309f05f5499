package parity

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes the report for people: the score, a table of operations, then each
// operation's differences.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Parity report\n\nScore: **%.3f** (%d of %d exchanges match", r.Score, r.Matches, r.Exchanges)
	if r.Skipped > 0 {
		fmt.Fprintf(&b, "; %d skipped: their request bodies are not recorded", r.Skipped)
	}
	b.WriteString(")\n\n| operation | method | path | exchanges | matches |\n| --- | --- | --- | --- | --- |\n")
	for _, op := range r.Operations {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %d | %d |\n", op.OperationID, op.Method, op.Path, op.Exchanges, op.Matches)
	}
	for _, op := range r.Operations {
		if len(op.Differences) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", op.OperationID)
		for _, d := range op.Differences {
			fmt.Fprintf(&b, "- %s", d.Kind)
			if d.Field != "" {
				fmt.Fprintf(&b, " `%s`", d.Field)
			}
			if d.Recorded != nil || d.Replayed != nil {
				fmt.Fprintf(&b, ": recorded %s, rcemu %s", show(d.Recorded), show(d.Replayed))
			}
			fmt.Fprintf(&b, " (%d×, first in exchange %d)\n", d.Count, d.Exchange)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func show(v any) string {
	if v == nil || v == "" {
		return "none"
	}
	return fmt.Sprintf("`%v`", v)
}
