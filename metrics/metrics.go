// Package metrics owns the Prometheus exposition of run results: it turns
// the JSON reports of one or more runs into Prometheus metrics, writes them
// as a textfile for node_exporter's textfile collector, pushes them to a
// Pushgateway, and serves them for a scrape. It does no I/O beyond writing
// the textfile and pushing when asked, and keeps no global state: every
// call builds a new registry from the runs it is given.
//
// # Metrics
//
// Every series carries the labels target and contract (the target's name,
// "default" when it has none, and the contract's short name), and one label
// per run tag (--tag KEY=VALUE; "" on a run without that tag); a push
// carries them in its grouping key instead:
//
//	errconform_case_verdict{target,contract,case,group,status,code,verdict}  1 per catalogue case
//	errconform_cases{target,contract,verdict}                                cases per verdict, all six
//	errconform_rule_failures{target,contract,rule}                           cases a rule broke, every rule
//	errconform_explore_variants{target,contract,field,constraint,verdict}    explore variants per verdict
//	errconform_not_in_contract_cases{target,contract}                        cases the contract does not cover
//	errconform_run_duration_seconds{target,contract}                         the run's duration
//	errconform_last_run_timestamp_seconds{target,contract}                   when the run finished
//	errconform_contract_info{target,contract,version}                        1
//	errconform_baseline_findings{target,contract,class}                      findings per class against --baseline
//	errconform_baseline_cases{target,contract,class}                         cases per class against --baseline
//
// # Cardinality
//
// The series of one run (one target judged against one contract) are
// bounded by what the catalogue and the rule set hold, never by what a
// target answers:
//
//	series = C + 6 + R + 4 + 6·P
//
// (plus 6 for a run with a baseline: new, inherited and fixed, findings
// and cases) where C is the number of the run's cases that are not explore variants
// (one errconform_case_verdict series each: a case has one verdict), 6 the
// verdicts (errconform_cases, zeros included), R = len(check.Rules()) (18
// in this build; errconform_rule_failures, zeros included), 4 the
// duration, timestamp, contract-info and not-in-contract series, and P the
// number of distinct (field, constraint) pairs among the run's explore
// variants (errconform_explore_variants, all six verdicts of each pair).
// Explore variants (case IDs under "explore/") never get a series of their
// own: P ≤ F·K, with F the top-level request fields explore probes (15 by
// default, suites.CoreFields) and K = 12 constraints (suites.Constraints(): suites.WrongType …
// suites.NoBranch and suites.Valid; any other is counted as "other"). A
// fleet exposes the sum over its (target, contract) pairs.
//
// # Using it
//
// Registry builds the registry of some runs; WriteTextfile writes any
// Gatherer as a textfile (--metrics FILE); Push pushes runs to a
// Pushgateway, one group per target and contract (--pushgateway URL); and
// Handler serves the latest runs on /metrics (errconform monitor).
// metrics/README.md has the PromQL a Grafana dashboard needs.
package metrics

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// DefaultTarget is the target label of a run whose target has no name.
const DefaultTarget = "default"

// Job is the Pushgateway job that Push pushes under.
const Job = "errconform"

// OtherConstraint is the constraint label of an explore variant whose
// constraint is none of the ones explore knows (a report from another
// version): the label stays bounded.
const OtherConstraint = "other"

// Metric names.
const (
	CaseVerdictName        = "errconform_case_verdict"
	CasesName              = "errconform_cases"
	RuleFailuresName       = "errconform_rule_failures"
	ExploreVariantsName    = "errconform_explore_variants"
	NotInContractName      = "errconform_not_in_contract_cases"
	RunDurationName        = "errconform_run_duration_seconds"
	LastRunTimestampName   = "errconform_last_run_timestamp_seconds"
	ContractInfoName       = "errconform_contract_info"
	BaselineFindingsName   = "errconform_baseline_findings"
	BaselineCasesName      = "errconform_baseline_cases"
	exploreLabelField      = "field:"
	exploreLabelConstraint = "constraint:"
)

// Run is one run's results: a target judged against a contract.
type Run struct {
	// Target names the target; empty means the report's settings name,
	// else DefaultTarget.
	Target string
	// Report is the run's JSON report; its contract names the contract
	// and its version.
	Report reports.JSONReport
	// Finished is when the run ended; zero means the report's start plus
	// its duration.
	Finished time.Time
}

// TargetName is the run's target label: Target, else the report's
// settings name, else DefaultTarget.
func (r Run) TargetName() string {
	if r.Target != "" {
		return r.Target
	}
	if r.Report.Settings != nil && r.Report.Settings.Name != "" {
		return r.Report.Settings.Name
	}
	return DefaultTarget
}

// ContractName is the run's contract label: the report's contract name,
// else reports.UnknownContract.
func (r Run) ContractName() string {
	if r.Report.Contract.Name == "" {
		return reports.UnknownContract
	}
	return r.Report.Contract.Name
}

// finished is when the run ended, as Finished documents.
func (r Run) finished() time.Time {
	if !r.Finished.IsZero() {
		return r.Finished
	}
	return r.Report.StartedAt.Add(time.Duration(r.Report.DurationMS) * time.Millisecond)
}

// Verdicts are the six verdicts, in the order the metrics list them.
func Verdicts() []check.Verdict {
	return []check.Verdict{check.Passed, check.Failed, check.Warned, check.Skipped, check.Errored, check.Waived}
}

// ExploreConstraints are the constraint labels an explore variant can
// have (besides OtherConstraint).
func ExploreConstraints() []string {
	return suites.Constraints()
}

// SeriesPerRun is the number of series one run exposes, as the package
// documentation's formula says: cases (not explore variants) + 6 + rules
// + 4 + 6 × explore (field, constraint) pairs.
func SeriesPerRun(cases, explorePairs int) int {
	return cases + len(Verdicts()) + len(check.Rules()) + 4 + len(Verdicts())*explorePairs
}

// IsExplore reports whether a case is an explore variant, which gets no
// series of its own.
func IsExplore(caseID string) bool {
	return strings.HasPrefix(caseID, suites.ExploreGroup+"/")
}

// Registry builds a new registry holding the metrics of the runs, each
// labelled with its target and contract. Two runs of one target under one
// contract, a case reported twice, an unknown verdict or an unknown rule
// are errors: the exposition would be ambiguous or unbounded.
func Registry(runs []Run) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	fam := newFamilies(true, tagKeys(runs))
	seen := map[[2]string]int{}
	for i, run := range runs {
		key := [2]string{run.TargetName(), run.ContractName()}
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("metrics: runs %d and %d are both target %q under contract %q", j, i, key[0], key[1])
		}
		seen[key] = i
		if err := fam.add(run); err != nil {
			return nil, err
		}
	}
	if err := fam.register(reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// groupRegistry builds the registry of one run without the target and
// contract labels: the Pushgateway's grouping key carries them.
func groupRegistry(run Run) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	fam := newFamilies(false, nil)
	if err := fam.add(run); err != nil {
		return nil, err
	}
	if err := fam.register(reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// Tags are the run's tags, from its report's settings (--tag, tags:).
func (r Run) Tags() map[string]string {
	if r.Report.Settings == nil {
		return nil
	}
	return r.Report.Settings.Tags
}

// tagKeys are the tag keys of any of the runs, sorted: every series of a
// registry carries a label for each.
func tagKeys(runs []Run) []string {
	seen := map[string]bool{}
	var keys []string
	for _, r := range runs {
		for k := range r.Tags() {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// families are the metric vectors of one registry.
type families struct {
	grouped      bool     // the series carry target and contract labels
	tags         []string // and these tag labels
	caseVerdict  *prometheus.GaugeVec
	cases        *prometheus.GaugeVec
	ruleFailures *prometheus.GaugeVec
	explore      *prometheus.GaugeVec
	notIn        *prometheus.GaugeVec
	duration     *prometheus.GaugeVec
	lastRun      *prometheus.GaugeVec
	info         *prometheus.GaugeVec
	// baseline* have series only for a run with a baseline.
	baselineFindings, baselineCases *prometheus.GaugeVec
}

func newFamilies(grouped bool, tags []string) *families {
	vec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		if grouped {
			labels = append(append([]string{"target", "contract"}, tags...), labels...)
		}
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	return &families{
		grouped: grouped,
		tags:    tags,
		caseVerdict: vec(CaseVerdictName, "1 for each catalogue case (explore variants aside), labelled with its verdict in the last run, the expected status and the expected error code.",
			"case", "group", "status", "code", "verdict"),
		cases: vec(CasesName, "Cases per verdict in the last run (all six verdicts, explore variants included).", "verdict"),
		ruleFailures: vec(RuleFailuresName, "Cases in the last run with a MUST or SHOULD finding of the rule (every rule, zeros included; waived cases count).",
			"rule"),
		explore: vec(ExploreVariantsName, "Explore variants per probed top-level field, broken constraint and verdict in the last run.",
			"field", "constraint", "verdict"),
		notIn:    vec(NotInContractName, "Cases the contract does not cover in the last run (skipped, never run; also counted as skipped)."),
		duration: vec(RunDurationName, "Duration of the last run in seconds."),
		lastRun:  vec(LastRunTimestampName, "When the last run finished, in seconds since the Unix epoch."),
		info:     vec(ContractInfoName, "1, labelled with the version of the contract the last run judged against.", "version"),
		baselineFindings: vec(BaselineFindingsName, "Findings of the last run per class against its baseline (--baseline): new, inherited (the baseline fails the same way) or fixed (the baseline's, gone).",
			"class"),
		baselineCases: vec(BaselineCasesName, "Cases of the last run per class against its baseline (--baseline): new (a failing finding the baseline lacks), inherited, fixed.",
			"class"),
	}
}

func (f *families) register(reg *prometheus.Registry) error {
	for _, c := range []prometheus.Collector{f.caseVerdict, f.cases, f.ruleFailures, f.explore, f.notIn, f.duration, f.lastRun, f.info, f.baselineFindings, f.baselineCases} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: register: %w", err)
		}
	}
	return nil
}

// add sets the series of one run.
func (f *families) add(run Run) error {
	target, contract := run.TargetName(), run.ContractName()
	labels := func(values ...string) []string {
		if f.grouped {
			prefix := []string{target, contract}
			for _, k := range f.tags {
				prefix = append(prefix, run.Tags()[k])
			}
			values = append(prefix, values...)
		}
		// Names from files and targets (a request schema's field, a
		// config's target): printable text only, in the textfile and on
		// /metrics alike.
		out := make([]string, len(values))
		for i, v := range values {
			out[i] = reports.Printable(v)
		}
		return out
	}
	known := map[check.Verdict]bool{}
	for _, v := range Verdicts() {
		known[v] = true
	}
	rules := map[string]int{}
	for _, r := range check.Rules() {
		rules[r.ID] = 0
	}
	perVerdict := map[check.Verdict]int{}
	type pair struct{ field, constraint string }
	explore := map[pair]map[check.Verdict]int{}
	ids := map[string]bool{}
	notIn := 0
	for _, c := range run.Report.Cases {
		if ids[c.ID] {
			return fmt.Errorf("metrics: target %q, contract %q: case %s is reported twice", target, contract, c.ID)
		}
		ids[c.ID] = true
		if !known[c.Verdict] {
			return fmt.Errorf("metrics: target %q, contract %q: case %s has verdict %q, not one of %v", target, contract, c.ID, c.Verdict, Verdicts())
		}
		perVerdict[c.Verdict]++
		if c.SkipReason == check.NotInContract || c.NotInContract != "" {
			notIn++
		}
		broken := map[string]bool{}
		for _, fd := range c.Findings {
			if fd.Severity != check.Must && fd.Severity != check.Should {
				continue
			}
			if _, ok := rules[fd.Rule]; !ok {
				return fmt.Errorf("metrics: target %q, contract %q: case %s has a finding of rule %q, which this build does not know", target, contract, c.ID, fd.Rule)
			}
			broken[fd.Rule] = true
		}
		for rule := range broken {
			rules[rule]++
		}
		if IsExplore(c.ID) {
			p := pair{exploreField(c), exploreConstraint(c)}
			if explore[p] == nil {
				explore[p] = map[check.Verdict]int{}
			}
			explore[p][c.Verdict]++
			continue
		}
		f.caseVerdict.WithLabelValues(labels(c.ID, c.Group, statusLabel(c.Expect.Status), c.Expect.Code, string(c.Verdict))...).Set(1)
	}
	for _, v := range Verdicts() {
		f.cases.WithLabelValues(labels(string(v))...).Set(float64(perVerdict[v]))
	}
	for rule, n := range rules {
		f.ruleFailures.WithLabelValues(labels(rule)...).Set(float64(n))
	}
	for p, counts := range explore {
		for _, v := range Verdicts() {
			f.explore.WithLabelValues(labels(p.field, p.constraint, string(v))...).Set(float64(counts[v]))
		}
	}
	f.notIn.WithLabelValues(labels()...).Set(float64(notIn))
	f.duration.WithLabelValues(labels()...).Set(float64(run.Report.DurationMS) / 1000)
	f.lastRun.WithLabelValues(labels()...).Set(unixSeconds(run.finished()))
	f.info.WithLabelValues(labels(run.Report.Contract.Version)...).Set(1)
	if b := run.Report.Baseline; b != nil {
		found := map[check.Class]int{check.New: b.Summary.Findings.New, check.Inherited: b.Summary.Findings.Inherited, check.Fixed: b.Summary.Findings.Fixed}
		for _, class := range check.Classes() {
			f.baselineFindings.WithLabelValues(labels(string(class))...).Set(float64(found[class]))
			f.baselineCases.WithLabelValues(labels(string(class))...).Set(float64(b.Summary.Cases[class]))
		}
	}
	return nil
}

// statusLabel is the expected status as a label, "" when the case has
// none (a case never run).
func statusLabel(status int) string {
	if status == 0 {
		return ""
	}
	return strconv.Itoa(status)
}

// unixSeconds is t in seconds since the epoch, with its fraction; 0 for
// the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return math.Round(float64(t.UnixNano())/1e6) / 1e3
}

// exploreField is the top-level field an explore variant probes: its
// "field:" label, else the first segment of the path in its ID
// ("explore/chat/<path>/<constraint>").
func exploreField(c reports.CaseReport) string {
	for _, l := range c.Labels {
		if v, ok := strings.CutPrefix(l, exploreLabelField); ok {
			return v
		}
	}
	parts := strings.Split(c.ID, "/")
	if len(parts) >= 3 {
		field, _, _ := strings.Cut(parts[2], ".")
		return field
	}
	return ""
}

// exploreConstraint is the constraint an explore variant breaks, one of
// ExploreConstraints or OtherConstraint: its "constraint:" label, else the
// segment of its ID after the path.
func exploreConstraint(c reports.CaseReport) string {
	constraint := ""
	for _, l := range c.Labels {
		if v, ok := strings.CutPrefix(l, exploreLabelConstraint); ok {
			constraint = v
			break
		}
	}
	if constraint == "" {
		if parts := strings.Split(c.ID, "/"); len(parts) >= 4 {
			constraint = parts[3]
		}
	}
	if strings.HasPrefix(constraint, suites.Valid) {
		return suites.Valid
	}
	known := ExploreConstraints()
	sort.Strings(known)
	if i := sort.SearchStrings(known, constraint); i < len(known) && known[i] == constraint {
		return constraint
	}
	// An ID's constraint may carry a suffix that keeps IDs apart ("wrong-type-2").
	if i := strings.LastIndexByte(constraint, '-'); i > 0 {
		if _, err := strconv.Atoi(constraint[i+1:]); err == nil {
			base := constraint[:i]
			if j := sort.SearchStrings(known, base); j < len(known) && known[j] == base {
				return base
			}
		}
	}
	return OtherConstraint
}
