package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
)

// Change is one case whose outcome differs between two reports.
type Change struct {
	ID     string        `json:"id"`
	Old    check.Verdict `json:"old,omitempty"`
	New    check.Verdict `json:"new,omitempty"`
	Detail string        `json:"detail,omitempty"`
}

// Diff compares two JSON reports, release to release.
type Diff struct {
	Regressions     []Change `json:"regressions"`      // passed (or warned) before, failed or errored now
	Fixes           []Change `json:"fixes"`            // failed before, passing now
	ChangedFindings []Change `json:"changed_findings"` // failing in both, for other reasons
	OtherChanges    []Change `json:"other_changes"`    // e.g. skipped <-> passed
	Added           []string `json:"added"`
	Removed         []string `json:"removed"`
}

// MaxReportBytes bounds a JSON report read by ReadJSON (errconform diff).
// A whole-catalogue report is 0.2–1 MiB; a hostile target's (64 KiB of
// response headers on every case, a 10,000-request burst) stays under
// 32 MiB. Reading is bounded in memory too: a 60 MiB report of tiny
// strings peaked at 1.5 GiB (the schema validator's tree and the report),
// so the cap is not larger.
const MaxReportBytes = 32 << 20

// ReadJSON reads a JSON report written by WriteJSON: at most
// MaxReportBytes of it, and only a document that validates against the
// report's JSON Schema (spec.ReportSchema) and lists at least one case.
// An empty, truncated or foreign file is an error, never an empty report
// that would compare as "no regressions".
func ReadJSON(path string) (JSONReport, error) {
	var rep JSONReport
	data, err := config.ReadFileLimited(path, MaxReportBytes)
	if err != nil {
		return rep, fmt.Errorf("read report %s: %w", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return rep, fmt.Errorf("%s is empty, not an errconform JSON report", path)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return rep, fmt.Errorf("%s is not an errconform JSON report: not JSON: %v", path, err)
	}
	if m, ok := doc.(map[string]any); ok {
		if v, ok := m["schema_version"].(string); ok && v != SchemaVersion {
			return rep, fmt.Errorf("%s has schema_version %q; this errconform reads %q", path, v, SchemaVersion)
		}
	}
	schema, err := reportSchema()
	if err != nil {
		return rep, fmt.Errorf("the report schema: %w", err)
	}
	if err := schema.Validate(doc); err != nil {
		return rep, fmt.Errorf("%s is not a valid errconform JSON report (errconform schema prints the schema): %s", path, schemaErrors(err))
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("%s is not an errconform JSON report: %w", path, err)
	}
	if len(rep.Cases) == 0 {
		return rep, fmt.Errorf("%s lists no cases: an empty report proves nothing", path)
	}
	return rep, nil
}

// reportSchema is the JSON report's schema, compiled once.
var reportSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec.ReportSchema()))
	if err != nil {
		return nil, err
	}
	const url = "https://github.com/errconform/errconform/spec/report.schema.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// schemaErrors lists the first few schema violations, each with where in
// the document it is.
func schemaErrors(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var msgs []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		at := u.InstanceLocation
		if at == "" {
			at = "/"
		}
		msgs = append(msgs, fmt.Sprintf("at %s: %s", at, u.Error.String()))
	}
	if len(msgs) == 0 {
		return "it does not match the schema"
	}
	const shown = 3
	if len(msgs) > shown {
		msgs = append(msgs[:shown], fmt.Sprintf("and %d more", len(msgs)-shown))
	}
	return Printable(strings.Join(msgs, "; "))
}

func passing(v check.Verdict) bool { return v == check.Passed || v == check.Warned }
func failing(v check.Verdict) bool { return v == check.Failed || v == check.Errored }

// Compare lists what changed from old to new.
func Compare(old, new JSONReport) Diff {
	d := Diff{Regressions: []Change{}, Fixes: []Change{}, ChangedFindings: []Change{}, OtherChanges: []Change{}, Added: []string{}, Removed: []string{}}
	before := map[string]CaseReport{}
	for _, c := range old.Cases {
		before[c.ID] = c
	}
	seen := map[string]bool{}
	for _, n := range new.Cases {
		seen[n.ID] = true
		o, ok := before[n.ID]
		switch {
		case !ok:
			d.Added = append(d.Added, n.ID)
		case passing(o.Verdict) && failing(n.Verdict):
			d.Regressions = append(d.Regressions, Change{ID: n.ID, Old: o.Verdict, New: n.Verdict, Detail: firstFinding(n)})
		case failing(o.Verdict) && passing(n.Verdict):
			d.Fixes = append(d.Fixes, Change{ID: n.ID, Old: o.Verdict, New: n.Verdict, Detail: firstFinding(o)})
		case failing(o.Verdict) && failing(n.Verdict):
			if a, b := findingKeys(o), findingKeys(n); a != b {
				d.ChangedFindings = append(d.ChangedFindings, Change{ID: n.ID, Old: o.Verdict, New: n.Verdict,
					Detail: fmt.Sprintf("was: %s; now: %s", firstFinding(o), firstFinding(n))})
			}
		case o.Verdict != n.Verdict:
			d.OtherChanges = append(d.OtherChanges, Change{ID: n.ID, Old: o.Verdict, New: n.Verdict, Detail: n.Reason})
		}
	}
	for _, o := range old.Cases {
		if !seen[o.ID] {
			d.Removed = append(d.Removed, o.ID)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Removed)
	return d
}

func findingKeys(c CaseReport) string {
	keys := make([]string, len(c.Findings))
	for i, f := range c.Findings {
		keys[i] = f.Rule + "|" + f.Expected + "|" + f.Actual
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}

func firstFinding(c CaseReport) string { return check.Headline(c.Findings, c.Reason) }

// HasRegression reports whether any case got worse.
func (d Diff) HasRegression() bool { return len(d.Regressions) > 0 }

// WriteText prints the diff for a person. Text from the reports (which
// quote the target) passes through Printable: a report cannot send escape
// sequences to the terminal.
func (d Diff) WriteText(w io.Writer, oldName, newName string) {
	fmt.Fprintf(w, "errconform diff %s -> %s\n", Printable(oldName), Printable(newName))
	section := func(title string, changes []Change) {
		if len(changes) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(changes))
		for _, c := range changes {
			fmt.Fprintf(w, "  %-44s %s -> %s  %s\n", Printable(c.ID), Printable(string(c.Old)), Printable(string(c.New)), Printable(c.Detail))
		}
	}
	section("REGRESSIONS", d.Regressions)
	section("Fixed", d.Fixes)
	section("Failing for other reasons", d.ChangedFindings)
	section("Other verdict changes", d.OtherChanges)
	if len(d.Added) > 0 {
		fmt.Fprintf(w, "\nNew cases (%d): %s\n", len(d.Added), Printable(strings.Join(d.Added, ", ")))
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(w, "\nRemoved cases (%d): %s\n", len(d.Removed), Printable(strings.Join(d.Removed, ", ")))
	}
	fmt.Fprintf(w, "\n%d regressions, %d fixed, %d failing differently, %d other changes, %d new, %d removed\n",
		len(d.Regressions), len(d.Fixes), len(d.ChangedFindings), len(d.OtherChanges), len(d.Added), len(d.Removed))
}
