package reports

import (
	"bytes"
	_ "embed" // the version 1 report schema
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
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
	ChangedFindings []Change `json:"changed_findings"` // failing in both, for other reasons (check.ObservationKey: volatile values do not count)
	OtherChanges    []Change `json:"other_changes"`    // e.g. skipped <-> passed
	Added           []string `json:"added"`
	Removed         []string `json:"removed"`
	// Contracts, when the two reports were judged against different
	// contracts (another name, version or document digest), names both
	// ("aiand 2026-11 sha256:… -> openrouter 2026-06 sha256:…"): their
	// verdicts then compare different promises.
	Contracts string `json:"contracts,omitempty"`
	// Judged, when the two runs judged different shares of what they
	// selected, says both ("judged 150 of 157 selected -> judged 3 of 157
	// selected").
	Judged string `json:"judged,omitempty"`
	// NowNotInContract lists the cases the new report's contract does not
	// cover that the old report judged (among OtherChanges as well).
	NowNotInContract []string `json:"now_not_in_contract,omitempty"`
}

// MaxReportBytes bounds a JSON report read by ReadJSON (errconform diff).
// A whole-catalogue report is 0.2–1 MiB; a hostile target's (64 KiB of
// response headers on every case, a 10,000-request burst) stays under
// 32 MiB. Reading is bounded in memory too: a 60 MiB report of tiny
// strings peaked at 1.5 GiB (the schema validator's tree and the report),
// so the cap is not larger.
const MaxReportBytes = 32 << 20

// ReadJSON reads a JSON report written by WriteJSON, by this errconform
// or an earlier one: at most MaxReportBytes of it, and only a document
// that validates against its schema_version's JSON Schema and lists at
// least one case. An empty, truncated or foreign file is an error, never
// an empty report that would compare as "no regressions"; so is a
// schema_version this errconform does not read. A version 1 report is
// brought up to this version's fields (see upgradeV1); its SchemaVersion
// stays "1".
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
	version := SchemaVersion // a document without one is judged by the current schema
	if m, ok := doc.(map[string]any); ok {
		if v, ok := m["schema_version"].(string); ok {
			version = v
		}
	}
	compiled, ok := readableSchemas[version]
	if !ok {
		return rep, fmt.Errorf("%s has schema_version %q; this errconform reads %s", path, version, readableList())
	}
	schema, err := compiled()
	if err != nil {
		return rep, fmt.Errorf("the report schema, version %s: %w", version, err)
	}
	if err := schema.Validate(doc); err != nil {
		return rep, fmt.Errorf("%s is not a valid errconform JSON report (errconform schema prints the schema): %s", path, schemaErrors(err))
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("%s is not an errconform JSON report: %w", path, err)
	}
	if rep.IsFleet() {
		n := 0
		for _, t := range rep.Targets {
			n += len(t.Cases)
		}
		if n == 0 && rep.Shard == nil {
			// A shard may be empty (more shards than cases); a whole run may not.
			return rep, fmt.Errorf("%s lists no cases: an empty report proves nothing", path)
		}
		return rep, nil
	}
	if len(rep.Cases) == 0 {
		return rep, fmt.Errorf("%s lists no cases: an empty report proves nothing", path)
	}
	if version == "1" {
		upgradeV1(&rep)
	}
	return rep, nil
}

// ReadableSchemaVersions lists the schema versions ReadJSON reads, oldest
// first: the current one and the one before it.
func ReadableSchemaVersions() []string { return []string{"1", SchemaVersion, FleetSchemaVersion} }

func readableList() string {
	var quoted []string
	for _, v := range ReadableSchemaVersions() {
		quoted = append(quoted, strconv.Quote(v))
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}

// reportSchemaV1 is the JSON report's schema at version 1 (errconform
// 0.1), kept to read reports written before version 2.
//
//go:embed schema/report.v1.schema.json
var reportSchemaV1 []byte

// readableSchemas compiles, once each, the schema of every version
// ReadJSON reads. It is never written after initialisation.
var readableSchemas = map[string]func() (*jsonschema.Schema, error){
	"1":                sync.OnceValues(func() (*jsonschema.Schema, error) { return compileSchema(reportSchemaV1) }),
	SchemaVersion:      sync.OnceValues(func() (*jsonschema.Schema, error) { return compileSchema(spec.ReportSchema()) }),
	FleetSchemaVersion: sync.OnceValues(func() (*jsonschema.Schema, error) { return compileSchema(spec.ReportSchema()) }),
}

// compileSchema compiles a version of the report's schema.
func compileSchema(text []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	const url = "https://github.com/errconform/errconform/spec/report.schema.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return s, nil
}

// v1ContractName names the contract of a version 1 report: errconform
// then had one contract, the provider's error page, built in since as
// "aiand".
const v1ContractName = "aiand"

// upgradeV1 brings a version 1 report up to version 2's fields: the
// contract's name, each skipped case's typed skip reason (read from the
// reason's words, as version 1 wrote them) and skipped_by_reason keyed by
// those typed reasons. Version 1 had no cases outside the contract.
func upgradeV1(rep *JSONReport) {
	if rep.Contract.Name == "" {
		rep.Contract.Name = v1ContractName
	}
	byReason := map[string]int{}
	for i := range rep.Cases {
		c := &rep.Cases[i]
		if c.Verdict != check.Skipped {
			continue
		}
		c.SkipReason = skipReasonOf("", c.Reason)
		byReason[string(c.SkipReason)]++
	}
	rep.Summary.SkippedByReason = byReason
	rep.Summary.NotInContract = byReason[string(check.NotInContract)]
}

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

// Compare lists what changed from old to new. Two reports of one target
// each (a version 1 or 2 report, or a fleet of one) compare case by case;
// a fleet's report of many targets compares case by case within each
// target: its cases are named "<target>: <case ID>" (a single target's
// report compared with it is named like its settings, else its base URL).
func Compare(old, new JSONReport) Diff {
	if one, ok := oneTarget(old); ok {
		old = one
	}
	if one, ok := oneTarget(new); ok {
		new = one
	}
	if old.IsFleet() || new.IsFleet() {
		old, new = Flatten(old), Flatten(new)
	}
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
			if a, b := check.ObservationKey(o.Findings), check.ObservationKey(n.Findings); a != b {
				d.ChangedFindings = append(d.ChangedFindings, Change{ID: n.ID, Old: o.Verdict, New: n.Verdict,
					Detail: fmt.Sprintf("was: %s; now: %s", firstFinding(o), firstFinding(n))})
			}
		case o.Verdict != n.Verdict:
			d.OtherChanges = append(d.OtherChanges, Change{ID: n.ID, Old: o.Verdict, New: n.Verdict, Detail: changeDetail(n)})
		}
		if ok && n.NotInContract != "" && o.NotInContract == "" {
			d.NowNotInContract = append(d.NowNotInContract, n.ID)
		}
	}
	for _, o := range old.Cases {
		if !seen[o.ID] {
			d.Removed = append(d.Removed, o.ID)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Removed)
	if contractChanged(old.Contract, new.Contract) {
		d.Contracts = old.Contract.Described() + " -> " + new.Contract.Described()
	}
	if o, n := judgedOf(old), judgedOf(new); o.Judged != n.Judged || o.Total != n.Total {
		d.Judged = o.JudgedText() + " -> " + n.JudgedText()
	}
	return d
}

// contractChanged reports whether two reports name different contracts:
// another name (neither unknown), version, or document (both digests
// known: an older report has none).
func contractChanged(a, b ContractInfo) bool {
	if a.Name == UnknownContract || b.Name == UnknownContract {
		return false
	}
	return a.Name != b.Name || a.Version != b.Version || (a.Digest != "" && b.Digest != "" && a.Digest != b.Digest)
}

// judgedOf is a report's judged and selected counts, from its cases (a
// report written before errconform counted them has none in its summary).
func judgedOf(rep JSONReport) Summary {
	s := SummarizeCases(rep.Cases)
	return Summary{Judged: s.Judged, JudgedControls: s.JudgedControls, Total: s.Total}
}

// changeDetail is why a case's verdict is what it is now: "not in this
// contract: …" for a case the contract does not cover, else its reason.
func changeDetail(c CaseReport) string {
	if c.NotInContract != "" {
		return NotInContractText(c.NotInContract)
	}
	return c.Reason
}

func firstFinding(c CaseReport) string { return check.Headline(c.Findings, c.Reason) }

// HasRegression reports whether any case got worse.
func (d Diff) HasRegression() bool { return len(d.Regressions) > 0 }

// WriteText prints the diff for a person. Text from the reports (which
// quote the target) passes through Printable: a report cannot send escape
// sequences to the terminal.
func (d Diff) WriteText(w io.Writer, oldName, newName string) {
	fmt.Fprintf(w, "errconform diff %s -> %s\n", Printable(oldName), Printable(newName))
	if d.Contracts != "" {
		fmt.Fprintf(w, "CONTRACT CHANGED: the reports were judged against different contracts: %s\n", Printable(d.Contracts))
	}
	if d.Judged != "" {
		fmt.Fprintf(w, "the runs judged different shares of their cases: %s\n", Printable(d.Judged))
	}
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
	if len(d.NowNotInContract) > 0 {
		fmt.Fprintf(w, "\nNow not in this contract (%d; skipped, never run): %s\n", len(d.NowNotInContract), Printable(strings.Join(d.NowNotInContract, ", ")))
	}
	if len(d.Added) > 0 {
		fmt.Fprintf(w, "\nNew cases (%d): %s\n", len(d.Added), Printable(strings.Join(d.Added, ", ")))
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(w, "\nRemoved cases (%d): %s\n", len(d.Removed), Printable(strings.Join(d.Removed, ", ")))
	}
	fmt.Fprintf(w, "\n%d regressions, %d fixed, %d failing differently, %d other changes, %d new, %d removed",
		len(d.Regressions), len(d.Fixes), len(d.ChangedFindings), len(d.OtherChanges), len(d.Added), len(d.Removed))
	if d.Contracts != "" {
		fmt.Fprintf(w, "; CONTRACT CHANGED (%s)", Printable(d.Contracts))
	}
	fmt.Fprintln(w)
}

// oneTarget is a report of one target as that target's report (a
// version 1 or 2 report as it is, a fleet of one's target); ok is false
// for a report of many targets.
func oneTarget(rep JSONReport) (one JSONReport, ok bool) {
	switch {
	case !rep.IsFleet():
		return rep, true
	case len(rep.Targets) == 1:
		return rep.TargetAsReport(rep.Targets[0]), true
	}
	return rep, false
}

// Flatten is a report's cases as one list, each named "<target>: <case
// ID>": a fleet's (version 3) from every target, a single target's under
// its settings' name (else its base URL: AsFleet).
func Flatten(rep JSONReport) JSONReport {
	rep = AsFleet(rep)
	out := rep
	out.Cases = []CaseReport{}
	for _, t := range rep.Targets {
		for _, c := range t.Cases {
			c.ID = t.Name + ": " + c.ID
			out.Cases = append(out.Cases, c)
		}
	}
	return out
}
