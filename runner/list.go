package runner

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

func (a App) list(args []string) error {
	fs := a.newFlagSet("list")
	format := fs.String("format", "text", "text or json")
	rules := fs.Bool("rules", false, "list the rules instead of the cases")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	contract, err := spec.Load()
	if err != nil {
		return err
	}
	if *rules {
		tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSEVERITY\tWHAT")
		for _, r := range check.Rules() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Description)
		}
		return tw.Flush()
	}
	cases := suites.Catalogue()
	switch *format {
	case "json":
		type entry struct {
			suites.Case
			Type string `json:"type"`
		}
		out := make([]entry, len(cases))
		for i, c := range cases {
			t, _ := contract.TypeFor(c.Expect.Status)
			out[i] = entry{c, t}
		}
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "text":
	default:
		return usagef("list: --format %q is not text or json", *format)
	}
	tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTYPE\tCODE\tPARAM\tFIXTURES\tTITLE")
	statuses, codes := map[int]int{}, map[string]int{}
	for _, c := range cases {
		t, _ := contract.TypeFor(c.Expect.Status)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Expect.Status, t, dash(c.Expect.Code), dash(c.Expect.Param),
			dash(strings.Join(c.Fixtures, ",")), c.Title)
		statuses[c.Expect.Status]++
		if c.Expect.Code != "" {
			codes[c.Expect.Code]++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "\n%d cases. Contract coverage:\n", len(cases))
	for _, s := range contract.Statuses {
		fmt.Fprintf(a.Stdout, "  status %d %-22s %3d cases%s\n", s.Status, s.Type, statuses[s.Status], missingMark(statuses[s.Status]))
	}
	for _, e := range contract.Codes {
		fmt.Fprintf(a.Stdout, "  code   %-29s %3d cases%s\n", e.Code, codes[e.Code], missingMark(codes[e.Code]))
	}
	fmt.Fprintln(a.Stdout, "Labels per case: group:, status:, code:, endpoint:, fixture: (or no-fixture), slow, alone. Use them with run --label-filter.")
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func missingMark(n int) string {
	if n == 0 {
		return "  (NOT COVERED)"
	}
	return ""
}
