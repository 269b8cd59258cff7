package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/errconform/errconform/reports"

	"github.com/spf13/cobra"

	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

const exploreLong = `explore breaks every selected field of the chat request schema one
constraint at a time and sends each such body, everything else in it valid,
plus its "stream": true twin: a wrong JSON type, a number below its minimum
or above its maximum, a value outside its enum, a missing required member,
null where null is not allowed, a string or array too short or too long, an
unknown member where members are closed, a value matching no form of a
union. Nested fields count: message parts, tool definitions, response_format,
stop. Every body is small and asks for one output token at most.

The contract is the oracle: each variant must be refused with the contract's
invalid-request status and type, its code where the contract gives one, and
param naming the field. A 2xx fails as "accepted invalid input" (with the
constraint it broke), a 5xx as "a crash on bad input"; every other rule
applies as to any case. Positive controls on the same fields (valid boundary
values such as temperature 0 and 2, each enum value) must be served: a
refusal fails as "refused valid input".

explore runs exactly like run: the same flags, environment variables, config
file, preflight controls, rate cap, request budget (variants past it are
"not run"), in-flight bound, deadline, reports and exit codes; only its cases
differ (the variants, and the positive controls the preflight needs). run
--explore runs the catalogue and the variants together. At the end explore
prints how many variants it sent per field and constraint, then the failures
grouped by field and constraint: a gateway that validates nothing reads as
"accepted invalid input on 14 fields", not as hundreds of lines.

What is probed comes from the config's explore section:

  explore:
    request_schema: requests.json   # default: OpenAI's request schemas, embedded
    fields:                         # path.Match globs over top-level fields
      include: [temperature, top_p, "*_penalty"]   # default: the core set
      exclude: [seed]
    unsupported: [seed]   # no positive controls; a refusal needs no code
    implements: [logprobs] # outside the core set, an invalid value served fails (else it warns)
    deep: true            # the optional nested members too (more variants)

The core set: ` + "%s" + `.
A schema that does not load, or a selection matching no field, exits 2 naming
the field of the config. errconform list --explore counts the variants of the
core set; explore --dry-run lists those of a config.`

const exploreExample = `  # every core field broken every way, against the embedded reference
  errconform explore --target reference

  # a staging gateway, with reports for CI
  errconform explore --config errconform.yaml --json explore.json --html explore.html

  # what would be sent, sending nothing
  errconform explore --config errconform.yaml --dry-run

  # some fields only, by label or by ID
  errconform explore --config errconform.yaml --label-filter 'field:temperature || field:top_p'
  errconform explore --config errconform.yaml --case 'explore/chat/temperature/*'

  # the invalid variants without their stream twins, under a small budget
  errconform explore --config errconform.yaml --label-filter '!stream && !constraint:valid' --max-requests 200

  # the catalogue and the variants in one run
  errconform run --config errconform.yaml --explore`

// exploreCmd is errconform explore: run, with the explore variants as its
// cases.
func (a App) exploreCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:               "explore [flags]",
		Short:             "Break every field of the request schema one constraint at a time, judged by the contract",
		Long:              fmt.Sprintf(exploreLong, strings.Join(suites.CoreFields(), ", ")),
		Example:           exploreExample,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ran(func(cmd *cobra.Command, _ []string) (int, error) {
			o.exploreOnly = true
			return a.run(cmd.Flags(), &o)
		}),
	}
	addRunFlags(cmd.Flags(), &o)
	// explore always explores: run's --explore means nothing here.
	_ = cmd.Flags().MarkHidden("explore")
	completeRunFlags(cmd, defaultVariants)
	return cmd
}

// defaultVariants are the explore variants of the core set under the
// default contract (for completing --case), or none when they cannot be
// built.
func defaultVariants() []suites.Case {
	contract, err := spec.Load()
	if err != nil {
		return nil
	}
	rs, err := spec.DefaultRequestSchemas()
	if err != nil {
		return nil
	}
	variants, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
	if err != nil {
		return nil
	}
	return variants
}

// isVariant reports whether a case is an explore variant.
func isVariant(c suites.Case) bool { return c.Group == suites.ExploreGroup }

// labelValue is the value of a case's "name:value" label, or "".
func labelValue(labels []string, name string) string {
	for _, l := range labels {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

// exploreCounts are explore variants counted per top-level field and
// constraint (a positive control counts as "valid"; a stream twin as its
// variant's constraint).
type exploreCounts struct {
	fields      []string // sorted
	order       []string // the fields in the order their first variants came
	constraints []string // in suites.Constraints' order, then any other, sorted
	n           map[string]map[string]int
	total       int
}

func newExploreCounts() exploreCounts { return exploreCounts{n: map[string]map[string]int{}} }

// add counts a case if it is an explore variant.
func (c *exploreCounts) add(cs suites.Case) {
	if !isVariant(cs) {
		return
	}
	field, constraint := labelValue(cs.Labels, "field"), labelValue(cs.Labels, "constraint")
	if c.n[field] == nil {
		c.n[field] = map[string]int{}
		c.order = append(c.order, field)
	}
	c.n[field][constraint]++
	c.total++
}

// finish sorts the fields and the constraints counted, once every variant
// is.
func (c *exploreCounts) finish() {
	c.fields = slices.Sorted(maps.Keys(c.n))
	seen := map[string]bool{}
	for _, byConstraint := range c.n {
		for name := range byConstraint {
			seen[name] = true
		}
	}
	c.constraints = nil
	for _, name := range suites.Constraints() {
		if seen[name] {
			c.constraints = append(c.constraints, name)
			delete(seen, name)
		}
	}
	c.constraints = append(c.constraints, slices.Sorted(maps.Keys(seen))...)
}

// countVariants counts the explore variants among cases.
func countVariants(cases []suites.Case) exploreCounts {
	c := newExploreCounts()
	for _, cs := range cases {
		c.add(cs)
	}
	c.finish()
	return c
}

// fieldTotal is how many variants a field has.
func (c exploreCounts) fieldTotal(field string) int {
	n := 0
	for _, k := range c.n[field] {
		n += k
	}
	return n
}

// constraintTotal is how many variants break a constraint, over every field.
func (c exploreCounts) constraintTotal(constraint string) int {
	n := 0
	for _, byConstraint := range c.n {
		n += byConstraint[constraint]
	}
	return n
}

// line lists a field's counts as "wrong-type×2 above-maximum×2"; field ""
// gives the totals over every field.
func (c exploreCounts) line(field string) string {
	var parts []string
	for _, name := range c.constraints {
		n := c.constraintTotal(name)
		if field != "" {
			n = c.n[field][name]
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", name, n))
		}
	}
	return strings.Join(parts, " ")
}

// write prints the counts, one line per field and one for every field
// together.
func (c exploreCounts) write(w io.Writer) {
	width := len("all fields")
	for _, f := range c.fields {
		width = max(width, len(reports.Printable(f)))
	}
	for _, f := range c.fields {
		// A field's name is the request schema's: a file's text.
		fmt.Fprintf(w, "  %-*s %5d  %s\n", width, reports.Printable(f), c.fieldTotal(f), c.line(f))
	}
	fmt.Fprintf(w, "  %-*s %5d  %s\n", width, "all fields", c.total, c.line(""))
}

// printExploreSent ends an exploring run's summary: how many of its
// variants it sent per field and constraint (stream twins and positive
// controls included), and how many it did not send (past the request
// budget or the deadline, or skipped).
func printExploreSent(w io.Writer, sent exploreCounts, variants int) {
	if variants == 0 {
		return
	}
	sent.finish()
	fmt.Fprintf(w, "\nExplore: %d of %d variants sent over %d fields, per field and constraint (stream twins included; valid: positive controls):\n",
		sent.total, variants, len(sent.fields))
	if sent.total > 0 {
		sent.write(w)
	}
	if variants > sent.total {
		fmt.Fprintf(w, "  %d variants not sent: past the request budget or the deadline, or skipped (the reports say why)\n", variants-sent.total)
	}
}

// writeExploreList is list --explore: the explore variants of the core set
// under a contract, counted per field and constraint (text, markdown), or
// listed (json).
func writeExploreList(w io.Writer, contract *spec.Contract, format string) error {
	rs, err := spec.DefaultRequestSchemas()
	if err != nil {
		return err
	}
	variants, err := suites.ExploreFor(contract, rs, suites.ExploreSelection{})
	if err != nil {
		return err
	}
	counts := countVariants(variants)
	switch format {
	case "json":
		return writeCasesJSON(w, variants, contract)
	case "markdown":
		var b strings.Builder
		fmt.Fprintf(&b, "# errconform explore variants: contract %s\n\n", contract.Name)
		fmt.Fprintf(&b, "%d variants over %d fields of %s (the core set; stream twins included; valid: positive controls).\n\n",
			counts.total, len(counts.fields), mdEscape(rs.Origin))
		b.WriteString("| field | variants |")
		for _, name := range counts.constraints {
			fmt.Fprintf(&b, " %s |", name)
		}
		b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(counts.constraints)) + "\n")
		row := func(label string, total int, n func(string) int) {
			fmt.Fprintf(&b, "| %s | %d |", label, total)
			for _, name := range counts.constraints {
				if k := n(name); k > 0 {
					fmt.Fprintf(&b, " %d |", k)
				} else {
					b.WriteString("  |")
				}
			}
			b.WriteString("\n")
		}
		for _, f := range counts.fields {
			row("`"+f+"`", counts.fieldTotal(f), func(name string) int { return counts.n[f][name] })
		}
		row("all fields", counts.total, counts.constraintTotal)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(w, "%d explore variants over %d fields of %s under contract %s (the core set; stream twins included; valid: positive controls):\n",
		counts.total, len(counts.fields), rs.Origin, contract.Label())
	counts.write(w)
	fmt.Fprintln(w, "A config's explore section selects other fields (errconform explore --help); explore --dry-run --config FILE lists its variants, list --explore --format json these.")
	return nil
}

// writeCasesJSON lists cases as list --format json does: each case with
// its contract type.
func writeCasesJSON(w io.Writer, cases []suites.Case, contract *spec.Contract) error {
	type entry struct {
		suites.Case
		Type string `json:"type,omitempty"`
	}
	out := make([]entry, len(cases))
	for i, c := range cases {
		t, _ := contract.TypeFor(c.Expect.Status)
		out[i] = entry{c, t}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
