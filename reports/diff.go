package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/errconform/errconform/check"
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

// ReadJSON reads a JSON report written by WriteJSON.
func ReadJSON(path string) (JSONReport, error) {
	var rep JSONReport
	data, err := os.ReadFile(path)
	if err != nil {
		return rep, fmt.Errorf("read report: %w", err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("%s is not an errconform JSON report: %w", path, err)
	}
	if rep.SchemaVersion != SchemaVersion {
		return rep, fmt.Errorf("%s has schema_version %q; this errconform reads %q", path, rep.SchemaVersion, SchemaVersion)
	}
	return rep, nil
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

// WriteText prints the diff for a person.
func (d Diff) WriteText(w io.Writer, oldName, newName string) {
	fmt.Fprintf(w, "errconform diff %s -> %s\n", oldName, newName)
	section := func(title string, changes []Change) {
		if len(changes) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, len(changes))
		for _, c := range changes {
			fmt.Fprintf(w, "  %-44s %s -> %s  %s\n", c.ID, c.Old, c.New, c.Detail)
		}
	}
	section("REGRESSIONS", d.Regressions)
	section("Fixed", d.Fixes)
	section("Failing for other reasons", d.ChangedFindings)
	section("Other verdict changes", d.OtherChanges)
	if len(d.Added) > 0 {
		fmt.Fprintf(w, "\nNew cases (%d): %s\n", len(d.Added), strings.Join(d.Added, ", "))
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(w, "\nRemoved cases (%d): %s\n", len(d.Removed), strings.Join(d.Removed, ", "))
	}
	fmt.Fprintf(w, "\n%d regressions, %d fixed, %d failing differently, %d other changes, %d new, %d removed\n",
		len(d.Regressions), len(d.Fixes), len(d.ChangedFindings), len(d.OtherChanges), len(d.Added), len(d.Removed))
}
