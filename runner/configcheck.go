package runner

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// configCheck is "errconform config check FILE": the configuration run
// would resolve with --config FILE (resolveFleet, the same environment
// variables and checks), described without sending anything.
func (a App) configCheck(path string, explain bool) error {
	if path == "" {
		return usagef("config check: FILE is empty (errconform config check FILE)")
	}
	var o runOptions
	fs := runFlags(&o)
	// FILE is run's --config, given on the command line.
	if err := fs.Set("config", path); err != nil {
		return usagef("config check %s: %v", path, err)
	}
	fl, err := a.resolveFleet(fs, &o)
	if err != nil {
		return err
	}
	defer fl.stop()
	if !fl.named {
		if err := a.describeConfig(path, fl.members[0]); err != nil || !explain {
			return err
		}
		return a.explainConfig(fl, fl.members[0])
	}
	fmt.Fprintf(a.Stdout, "%s: valid: %d targets (%s). Nothing was sent.\n", path, len(fl.members), strings.Join(memberNames(fl), ", "))
	for _, res := range fl.members {
		fmt.Fprintf(a.Stdout, "\ntarget %s:\n", res.name)
		if err := a.describeConfig(path+" targets "+res.name, res); err != nil {
			return err
		}
		if explain {
			if err := a.explainConfig(fl, res); err != nil {
				return err
			}
		}
	}
	return nil
}

// memberNames lists a fleet's target names.
func memberNames(fl fleetResolution) []string {
	names := make([]string, len(fl.members))
	for i, m := range fl.members {
		names[i] = m.name
	}
	return names
}

// describeConfig prints what config check says of one target's resolved
// configuration.
func (a App) describeConfig(path string, res resolution) error {
	cfg := res.cfg
	// The terminal's redaction boundary, as for run.
	stdout := reports.NewRedactingWriter(a.Stdout, redact.New(cfg.Secrets()...))
	defer stdout.Close()
	a.Stdout = stdout
	cases, err := suites.For(res.contract)
	if err != nil {
		return usageError{err}
	}
	enabled, notInContract := 0, 0
	skippedBy := map[string][]string{}
	for _, c := range cases {
		if c.NotInContract != "" {
			notInContract++
			continue
		}
		missing := c.MissingFixtures(cfg)
		if len(missing) == 0 {
			enabled++
			continue
		}
		for _, key := range missing {
			skippedBy[key] = append(skippedBy[key], c.ID)
		}
	}
	total := len(cases) - notInContract
	target := redactURL(cfg.Target.BaseURL)
	if res.embedded {
		target = "the embedded reference (" + config.ReferenceTarget + ")"
	}
	gatewayFrom := ""
	if res.gatewayFrom != "" {
		gatewayFrom = ", " + res.gatewayFrom
	}
	fmt.Fprintf(a.Stdout, "%s: valid. Target %s (timeout %s, gateway timeout %s%s). Nothing was sent.\n", path,
		target, cfg.Target.Timeout.Std(), cfg.Target.GatewayTimeout.Std(), gatewayFrom)
	redactor := redact.New(cfg.Secrets()...)
	keyHeader := "Authorization: Bearer <key>"
	if !cfg.Auth.BearerAuth() {
		keyHeader = cfg.Auth.Header + ": <key>"
	}
	fmt.Fprintf(a.Stdout, "The key travels as %s.\n", keyHeader)
	printEnvVars(a.Stdout, cfg)
	if notInContract > 0 {
		fmt.Fprintf(a.Stdout, "Contract %s: %d of the catalogue's %d cases are in it (errconform list --contract %s lists the others and why).\n",
			res.contract.Label(), len(cases)-notInContract, len(cases), contractArg(res.contract))
	} else {
		fmt.Fprintf(a.Stdout, "Contract %s: all the catalogue's %d cases are in it.\n", res.contract.Label(), len(cases))
	}
	if len(cfg.Target.Headers) > 0 {
		fmt.Fprintln(a.Stdout, "Sent on every request (target.headers):")
		secret := cfg.SecretHeaders()
		names := make([]string, 0, len(cfg.Target.Headers))
		for name := range cfg.Target.Headers {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			value := redactor.String(cfg.Target.Headers[name])
			if _, ok := secret[cfg.Target.Headers[name]]; ok {
				value = redact.Redacted
			}
			fmt.Fprintf(a.Stdout, "  %s: %s\n", name, value)
		}
	}
	fmt.Fprintf(a.Stdout, "%d of %d cases enabled, %d skipped for want of fixtures.\n", enabled, total, total-enabled)
	plan, err := res.explorePlan()
	if err != nil {
		return err
	}
	counts := newExploreCounts()
	if err := plan.Walk(func(c suites.Case) bool { counts.add(c); return true }); err != nil {
		return res.exploreFieldsError(err)
	}
	counts.finish()
	fmt.Fprintf(a.Stdout, "Explore (errconform explore, run --explore): %d variants over %d fields of %s (%s).\n",
		counts.total, len(counts.fields), plan.Origin(), strings.Join(counts.fields, ", "))
	keys := make([]string, 0, len(skippedBy))
	for key := range skippedBy {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		required := ""
		if cfg.Requires(key) {
			required = "  (required: these cases will FAIL)"
		}
		fmt.Fprintf(a.Stdout, "  fixtures.%-22s missing: %2d cases skipped: %s%s\n", key, len(skippedBy[key]), strings.Join(skippedBy[key], ", "), required)
	}
	return nil
}

// contractArg is how --contract names a contract: its built-in name, or
// the path it was read from.
func contractArg(c *spec.Contract) string {
	if name, ok := strings.CutPrefix(c.Origin(), "built-in "); ok {
		return name
	}
	return c.Origin()
}

// redactURL drops any query from a URL before printing it.
func redactURL(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

// printEnvVars says which environment variables the file reads with
// ${VAR}, by name (never a value), where each goes, and whether its value
// is redacted from every output (all but those public_env lists).
func printEnvVars(w io.Writer, cfg config.Config) {
	vars := cfg.EnvVars()
	if len(vars) == 0 {
		fmt.Fprintln(w, "Reads no environment variable (${VAR}).")
		return
	}
	fmt.Fprintf(w, "Reads %d environment variables (${VAR}); their values are redacted from every output unless public_env lists them:\n", len(vars))
	for _, v := range vars {
		kind := "redacted"
		if v.Public {
			kind = "public"
		}
		fmt.Fprintf(w, "  %s in %s (%s)\n", v.Name, strings.Join(v.Fields, ", "), kind)
	}
}

// explainConfig prints every value of one target's resolved configuration
// and where it came from (config check --explain): what the target is,
// then how to run, then the run's own settings given by a variable (the
// deadline, the report paths). A secret's value is never printed.
func (a App) explainConfig(fl fleetResolution, res resolution) error {
	stdout := reports.NewRedactingWriter(a.Stdout, redact.New(res.cfg.Secrets()...))
	defer stdout.Close()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	r := config.Resolved{Config: res.cfg, Sources: res.sources}
	lines := r.Explain()
	if !slices.ContainsFunc(lines, func(l config.Explained) bool { return l.Field == "contract" }) {
		// The default contract: named, not left out.
		lines = slices.Insert(lines, 0, config.Explained{Field: "contract", Value: contractArg(res.contract), Source: r.Source("contract"), Target: true})
	}
	heading := ""
	for _, l := range lines {
		h := "How to run:"
		if l.Target {
			h = "What the target is:"
		}
		if h != heading {
			heading = h
			fmt.Fprintf(tw, "%s\t\t\n", h)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.Field, reports.Printable(l.Value), l.Source)
	}
	names := make([]string, 0, len(fl.settings))
	for name := range fl.settings {
		if config.FieldOfFlag(name) == "" && name != "config" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	fmt.Fprintf(tw, "Run settings (no config field):\t\t\n")
	deadline := config.Setting{Value: fl.opts.deadline.String(), Source: config.Source{Kind: config.FromDefault}}
	if st, ok := fl.settings["deadline"]; ok {
		deadline = st
	}
	fmt.Fprintf(tw, "  --deadline\t%s\t%s\n", deadline.Value, deadline.Source)
	for _, name := range names {
		if name != "deadline" {
			fmt.Fprintf(tw, "  --%s\t%s\t%s\n", name, reports.Printable(fl.settings[name].Value), fl.settings[name].Source)
		}
	}
	return tw.Flush()
}
