package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/suites"
)

// FleetSchemaVersion is the schema version of a fleet's JSON report: the
// report of a config with a targets: list, or of a sharded run. Version 3
// changes what the top level means: its cases and groups are empty, its
// summary counts every target's cases, and each target's report is in
// targets; a single target's report stays version 2.
const FleetSchemaVersion = "3"

// Target outcomes: how a fleet target's run ended.
const (
	// OutcomeCompleted: the preflight passed and the cases ran.
	OutcomeCompleted = "completed"
	// OutcomeRejected: the target rejected the configured key or model;
	// its cases are errored with the reason.
	OutcomeRejected = "rejected"
	// OutcomeUnreachable: no control reached the target; its cases are
	// errored with the reason.
	OutcomeUnreachable = "unreachable"
)

// TargetReport is one target's report within a fleet's: what a single
// target's JSON report holds, under the target's name.
type TargetReport struct {
	// Name is the target's name in the config's targets: list.
	Name string `json:"name"`
	// Outcome is OutcomeCompleted, OutcomeRejected or OutcomeUnreachable;
	// Reason says why for the latter two.
	Outcome    string       `json:"outcome"`
	Reason     string       `json:"reason,omitempty"`
	Contract   ContractInfo `json:"contract"`
	Target     TargetInfo   `json:"target"`
	StartedAt  time.Time    `json:"started_at"`
	DurationMS int64        `json:"duration_ms"`
	// Settings.Selected lists every case selected for the target in the
	// unsharded run, in order: a shard's cases are a part of it, and
	// errconform merge orders the merged cases by it.
	Settings *Settings    `json:"settings"`
	Summary  Summary      `json:"summary"`
	Groups   []Group      `json:"groups"`
	Cases    []CaseReport `json:"cases"`
	// NotTestable and TargetBroke are as in a single target's report.
	NotTestable *Problem `json:"not_testable,omitempty"`
	TargetBroke *Problem `json:"target_broke,omitempty"`
	// Baseline is what the target was compared with (--baseline), and
	// the counts by class.
	Baseline *TargetBaseline `json:"baseline,omitempty"`
}

// ShardInfo says which shard of a sharded run a report holds.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// FleetTarget is one target's run within a fleet, for TargetPart.
type FleetTarget struct {
	Name    string
	Outcome string
	Reason  string
	Run     Run
	// Selected lists every case selected for the target, unsharded.
	Selected []string
}

// TargetPart is one target's part of a fleet's report. A runner builds
// each as its target finishes, while the others still run.
func TargetPart(t FleetTarget) TargetReport {
	rep := BuildJSON(t.Run)
	for i, r := range t.Run.Results {
		rep.Cases[i].MissingFixtures = r.Missing
	}
	settings := rep.Settings
	settings.Name = t.Name
	if t.Selected != nil {
		settings.Selected = t.Selected
	}
	return rep.asTargetReport(t.Name, t.Outcome, t.Reason)
}

// OutcomeOf is the outcome of a target the problem stopped at its
// preflight (nil: completed): unreachable when no HTTP conversation was
// possible, else rejected.
func OutcomeOf(p *Problem) string {
	switch {
	case p == nil:
		return OutcomeCompleted
	case p.Cause == CauseUnreachable || p.Cause == CauseTLS || p.Cause == CauseScheme:
		return OutcomeUnreachable
	}
	return OutcomeRejected
}

// ReasonOf is the reason a target's report gives for the problem that
// stopped it at its preflight ("" for none).
func ReasonOf(p *Problem) string {
	if p == nil {
		return ""
	}
	return check.NotTestable(p.Reason).Reason
}

// FleetOfOne is the JSON report of a single target's run: a fleet of one,
// named by its Settings.Name (else its base URL), every string redacted
// with the run's Redactor (keeping the credentials errconform crafted).
func FleetOfOne(run Run) JSONReport {
	name := run.Settings.Name
	if name == "" {
		name = TargetInfo{BaseURL: config.WithoutUserinfo(run.BaseURL), Embedded: run.Embedded}.String()
	}
	part := TargetPart(FleetTarget{Name: name, Outcome: OutcomeOf(run.NotTestable), Reason: ReasonOf(run.NotTestable), Run: run})
	if run.Redactor != nil {
		run.Redactor.Walk(&part, run.CraftedCredentials()...)
	}
	return AssembleFleet(run.ToolVersion, []TargetReport{part}, nil)
}

// AsFleet is a report as its fleet-shaped version (schema version 3): a
// version 1 or 2 report, of one target, becomes a fleet of one, named by
// its settings (else its base URL).
func AsFleet(rep JSONReport) JSONReport {
	if rep.IsFleet() {
		return rep
	}
	name := ""
	if rep.Settings != nil {
		name = rep.Settings.Name
	}
	if name == "" {
		name = rep.Target.String()
	}
	part := rep.asTargetReport(name, OutcomeOf(rep.NotTestable), ReasonOf(rep.NotTestable))
	out := fleetReport(rep.Tool.Version, []TargetReport{part}, nil)
	out.compact = rep.compact
	return out
}

// TargetAsReport is one target of a fleet's report as a single target's
// report (schema version 2's shape): what metrics, and the single
// target's HTML and Markdown, read.
func (r JSONReport) TargetAsReport(t TargetReport) JSONReport {
	return JSONReport{SchemaVersion: SchemaVersion, Tool: r.Tool, Contract: t.Contract, Target: t.Target, StartedAt: t.StartedAt,
		DurationMS: t.DurationMS, Settings: t.Settings, Summary: t.Summary, Groups: t.Groups, Cases: t.Cases,
		NotTestable: t.NotTestable, TargetBroke: t.TargetBroke, Baseline: t.Baseline, compact: r.compact}
}

// asTargetReport is a single target's report as a fleet's target of that
// name, outcome and reason: TargetAsReport's inverse, which TargetPart and
// AsFleet share.
func (r JSONReport) asTargetReport(name, outcome, reason string) TargetReport {
	return TargetReport{Name: name, Outcome: outcome, Reason: reason, Contract: r.Contract,
		Target: r.Target, StartedAt: r.StartedAt, DurationMS: r.DurationMS, Settings: r.Settings, Summary: r.Summary,
		Groups: r.Groups, Cases: r.Cases, NotTestable: r.NotTestable, TargetBroke: r.TargetBroke, Baseline: r.Baseline}
}

// AssembleFleet is a fleet's JSON report (schema version 3) from its
// targets' parts (TargetPart), in the order given.
func AssembleFleet(toolVersion string, parts []TargetReport, shard *ShardInfo) JSONReport {
	return fleetReport(toolVersion, parts, shard)
}

// fleetReport is the fleet document around its targets' reports: the top
// level's summary sums theirs, its start is the earliest, its duration
// runs to the latest end.
func fleetReport(toolVersion string, parts []TargetReport, shard *ShardInfo) JSONReport {
	rep := JSONReport{SchemaVersion: FleetSchemaVersion, Tool: Tool{Name: "errconform", Version: toolVersion},
		Contract: fleetContract(parts), Target: TargetInfo{BaseURL: "", Embedded: len(parts) > 0},
		Summary: Summary{SkippedByFixture: map[string]int{}, SkippedByReason: map[string]int{}},
		Groups:  []Group{}, Cases: []CaseReport{}, Targets: parts, Shard: shard}
	if rep.Targets == nil {
		rep.Targets = []TargetReport{}
	}
	var first, last time.Time
	for _, p := range parts {
		rep.Target.Embedded = rep.Target.Embedded && p.Target.Embedded
		rep.Summary = rep.Summary.Plus(p.Summary)
		end := p.StartedAt.Add(time.Duration(p.DurationMS) * time.Millisecond)
		if first.IsZero() || p.StartedAt.Before(first) {
			first = p.StartedAt
		}
		if end.After(last) {
			last = end
		}
	}
	rep.StartedAt, rep.DurationMS = first.UTC(), last.Sub(first).Milliseconds()
	return rep
}

// fleetContract names the fleet's contract: the one every target shares,
// else "mixed" with no version.
func fleetContract(parts []TargetReport) ContractInfo {
	if len(parts) == 0 {
		return ContractInfo{Name: UnknownContract, Version: "-"}
	}
	c := parts[0].Contract
	for _, p := range parts[1:] {
		if p.Contract != c {
			return ContractInfo{Name: "mixed", Version: "-"}
		}
	}
	return c
}

// SummarizeCases counts the verdicts of reported cases, as Summarize counts
// results' (the missing fixtures come from each case's missing_fixtures).
func SummarizeCases(cases []CaseReport) Summary {
	results := make([]suites.Result, len(cases))
	for i, c := range cases {
		results[i] = suites.Result{Case: suites.Case{NotInContract: c.NotInContract, Control: isControlCase(c), ValidInput: isValidInputCase(c), Endpoint: labelOf(c.Labels, "endpoint")}, Verdict: c.Verdict, Skip: c.SkipReason,
			Reason: c.Reason, Missing: c.MissingFixtures}
	}
	return Summarize(results)
}

// IsFleet reports whether a report is a fleet's (schema version 3).
func (r JSONReport) IsFleet() bool { return r.SchemaVersion == FleetSchemaVersion }

// Merge combines the JSON reports of the shards of one sharded run into
// the report one unsharded run would have written: each target's cases
// (a positive control, which runs in every shard of its target, once, from
// the first shard holding it) in the order of its selection, its summary
// and groups computed anew. It refuses reports that are not shards, from
// different tool or contract versions, from runs split differently, a
// shard given twice, shards that overlap, and missing shards.
//
// Its complexity (32) is those refusals, each a check of its own with its
// own error, made in one pass over the shards before any case is merged.
func Merge(shards []JSONReport, names []string) (JSONReport, error) {
	if len(shards) == 0 {
		return JSONReport{}, errors.New("merge: no reports to merge")
	}
	count := 0
	byIndex := map[int]string{}
	for i, s := range shards {
		switch {
		case !s.IsFleet() || s.Shard == nil:
			return JSONReport{}, fmt.Errorf("merge: %s is not a shard's report (written by run --shard I/N, schema version %s)", names[i], FleetSchemaVersion)
		case s.Tool.Version != shards[0].Tool.Version:
			return JSONReport{}, fmt.Errorf("merge: %s was written by errconform %s, %s by %s: merge shards of one run", names[i], s.Tool.Version, names[0], shards[0].Tool.Version)
		case count != 0 && s.Shard.Count != count:
			return JSONReport{}, fmt.Errorf("merge: %s is shard %d/%d, %s of a run in %d shards", names[i], s.Shard.Index, s.Shard.Count, names[0], count)
		}
		count = s.Shard.Count
		if other, dup := byIndex[s.Shard.Index]; dup {
			return JSONReport{}, fmt.Errorf("merge: %s and %s are both shard %d/%d", other, names[i], s.Shard.Index, count)
		}
		byIndex[s.Shard.Index] = names[i]
	}
	var missing []string
	for i := 0; i < count; i++ {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return JSONReport{}, fmt.Errorf("merge: shard(s) %s missing: the run was split in %d, merge every shard's report", strings.Join(missing, ", "), count)
	}
	order := make([]int, len(shards))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return shards[order[a]].Shard.Index < shards[order[b]].Shard.Index })

	type merging struct {
		part  TargetReport
		from  string
		cases map[string]CaseReport
		end   time.Time
	}
	targets := map[string]*merging{}
	var targetOrder []string
	for _, k := range order {
		s, name := shards[k], names[k]
		for _, t := range s.Targets {
			m, ok := targets[t.Name]
			if !ok {
				m = &merging{part: t, from: name, cases: map[string]CaseReport{}}
				targets[t.Name] = m
				targetOrder = append(targetOrder, t.Name)
			} else {
				if t.Contract != m.part.Contract {
					return JSONReport{}, fmt.Errorf("merge: target %s was judged against contract %s in %s, %s in %s", t.Name, m.part.Contract, m.from, t.Contract, name)
				}
				if !sameList(settingsSelected(t.Settings), settingsSelected(m.part.Settings)) {
					return JSONReport{}, fmt.Errorf("merge: target %s selected other cases in %s than in %s: merge shards of one run", t.Name, name, m.from)
				}
				if t.StartedAt.Before(m.part.StartedAt) {
					m.part.StartedAt = t.StartedAt
				}
				m.part.Outcome, m.part.Reason = worseOutcome(m.part.Outcome, m.part.Reason, t.Outcome, t.Reason)
				// A problem any shard saw is the merged target's.
				m.part.NotTestable = cmp.Or(m.part.NotTestable, t.NotTestable)
				m.part.TargetBroke = cmp.Or(m.part.TargetBroke, t.TargetBroke)
			}
			if end := t.StartedAt.Add(time.Duration(t.DurationMS) * time.Millisecond); end.After(m.end) {
				m.end = end
			}
			for _, c := range t.Cases {
				if err := checkStatedVerdict(c, t); err != nil {
					return JSONReport{}, fmt.Errorf("merge: %s: target %s, case %s: %w: the shard was altered, or not written by errconform; refusing it", name, t.Name, c.ID, err)
				}
				if _, dup := m.cases[c.ID]; dup {
					if isControlCase(c) {
						continue
					}
					return JSONReport{}, fmt.Errorf("merge: case %s of target %s is in %s and in %s: the shards overlap", c.ID, t.Name, m.from, name)
				}
				m.cases[c.ID] = c
			}
		}
	}
	sort.Strings(targetOrder)
	var parts []TargetReport
	for _, name := range targetOrder {
		m := targets[name]
		part := m.part
		part.DurationMS = m.end.Sub(part.StartedAt).Milliseconds()
		part.Cases = []CaseReport{}
		for _, id := range settingsSelected(part.Settings) {
			if c, ok := m.cases[id]; ok {
				part.Cases = append(part.Cases, c)
				delete(m.cases, id)
			}
		}
		if len(m.cases) > 0 {
			return JSONReport{}, fmt.Errorf("merge: target %s reports %d case(s) it did not select", name, len(m.cases))
		}
		if want := len(settingsSelected(part.Settings)); len(part.Cases) != want {
			return JSONReport{}, fmt.Errorf("merge: target %s selected %d cases, the shards hold %d: a shard is missing or incomplete", name, want, len(part.Cases))
		}
		part.Summary = SummarizeCases(part.Cases)
		if part.Baseline != nil {
			// Each shard counted its own cases: the merged counts are
			// made again from every case's classification.
			b := *part.Baseline
			b.Summary = SummarizeBaseline(part.Cases, part.Settings != nil && part.Settings.Strict)
			part.Baseline = &b
		}
		part.Groups = GroupFailures(part.Cases)
		if part.Groups == nil {
			part.Groups = []Group{}
		}
		parts = append(parts, part)
	}
	return fleetReport(shards[0].Tool.Version, parts, nil), nil
}

// checkStatedVerdict re-decides a shard's case from its findings, its
// waiver and the target's settings with the run's own verdict function
// (check.Redecide), and refuses a stated verdict that disagrees. A waiver
// must be one the run could have loaded: expiring within the run's
// waivers_max_days of its start.
func checkStatedVerdict(c CaseReport, t TargetReport) error {
	settings := t.Settings
	if settings == nil {
		settings = &Settings{}
	}
	var waiver *check.Waiver
	if info, ok := waiverOf(settings, c.ID); ok {
		w, err := config.ParseWaiver(info.Case, info.Reason, info.Expires)
		if err != nil {
			return fmt.Errorf("its waiver's expiry %w", err)
		}
		maxDays := settings.WaiversMaxDays
		if maxDays <= 0 || maxDays > config.MaxWaiversMaxDays {
			maxDays = config.DefaultWaiversMaxDays
		}
		if !w.WithinDays(t.StartedAt, maxDays) {
			return fmt.Errorf("its waiver expires %s, beyond the %d days a waiver may run from the run's date %s", w.Expires, maxDays, t.StartedAt.UTC().Format(time.DateOnly))
		}
		cw := suites.WaiverOf(w)
		waiver = &cw
	}
	required := false
	for _, key := range c.MissingFixtures {
		required = required || slices.Contains(settings.Require, key) || slices.Contains(settings.Require, "all")
	}
	end := t.StartedAt.Add(time.Duration(t.DurationMS) * time.Millisecond)
	want := check.Redecide(c.Verdict, c.Findings, settings.Strict, required, waiver, t.StartedAt)
	if want != c.Verdict {
		// A waiver may expire while the run goes on: the run's end decides too.
		if atEnd := check.Redecide(c.Verdict, c.Findings, settings.Strict, required, waiver, end); atEnd == c.Verdict {
			return nil
		}
		return fmt.Errorf("states %q, but its %d finding(s), waiver and settings give %q", c.Verdict, len(c.Findings), want)
	}
	return nil
}

// worseOutcome keeps the worse of two outcomes of one target (in two
// shards), with its reason.
func worseOutcome(a, aWhy, b, bWhy string) (string, string) {
	rank := map[string]int{OutcomeCompleted: 0, OutcomeRejected: 1, OutcomeUnreachable: 2}
	if rank[b] > rank[a] {
		return b, bWhy
	}
	return a, aWhy
}

// isValidInputCase reports whether a reported case is a valid request
// judged as a case (explore's valid boundaries, the lower-case scheme): it
// expects a success and is no preflight control.
func isValidInputCase(c CaseReport) bool {
	return !isControlCase(c) && c.Expect.Status >= 200 && c.Expect.Status < 300
}

func isControlCase(c CaseReport) bool {
	for _, l := range c.Labels {
		if l == "control" {
			return true
		}
	}
	return false
}

func settingsSelected(s *Settings) []string {
	if s == nil {
		return nil
	}
	return s.Selected
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// compactExcerptBytes bounds a compact report's body excerpt.
const compactExcerptBytes = 160

// Compact is the report without most of its evidence: what a run cut
// short (its --deadline passed, or it was interrupted) writes, complete
// and valid but smaller and quick to render. Every case keeps its
// verdict, reasons and findings; a failed or errored one keeps its
// response's status and the first compactExcerptBytes of its body
// excerpt; requests, headers, reproduction commands and burst answers are
// left out.
func (r JSONReport) Compact() JSONReport {
	r.Cases = compactCases(r.Cases)
	r.compact = true
	if r.Targets != nil {
		targets := make([]TargetReport, len(r.Targets))
		for i, t := range r.Targets {
			targets[i] = t.Compact()
		}
		r.Targets = targets
	}
	return r
}

// Compact is the target's part as a compact report holds it (JSONReport's
// Compact): a fleet cut short makes each part so as its target stops.
func (t TargetReport) Compact() TargetReport {
	t.Cases = compactCases(t.Cases)
	return t
}

// compactCases are cases without most of their evidence (Compact).
func compactCases(cases []CaseReport) []CaseReport {
	out := make([]CaseReport, len(cases))
	for i, c := range cases {
		if c.Response != nil && (c.Verdict == check.Failed || c.Verdict == check.Errored) {
			resp := *c.Response
			resp.Headers = nil
			resp.BodyExcerpt = check.Cut(resp.BodyExcerpt, compactExcerptBytes)
			c.Response = &resp
		} else {
			c.Response = nil
		}
		c.Request, c.Reproduce, c.Burst = nil, "", nil
		out[i] = c
	}
	return out
}
