package runner

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reference"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// resolution is a run's configuration, resolved and validated before
// anything is sent: the flags with the environment applied, the config file
// merged under them, the target (perhaps the embedded reference, started),
// the selected cases and the waivers.
type resolution struct {
	// opts are the flags, every one its command line left unset filled
	// from its ERRCONFORM_ variable; opts.configFile is the config file
	// used, or "".
	opts runOptions
	// name is the target's name in a fleet ("" for a single target).
	name     string
	contract *spec.Contract
	// cfg is the validated configuration: file, environment and flags
	// merged, traffic defaults applied.
	cfg config.Config
	// embedded: the target is the embedded reference, running until stop.
	embedded bool
	stop     func()
	// tls is the TLS configuration for the target (nil: Go's defaults).
	tls *tls.Config
	// toStdout is the report flag whose path is "-", or "".
	toStdout string
	selected caseList
	waivers  map[string]config.Waiver
	// plan makes the explore variants under the contract, once made
	// (explorePlan).
	plan *suites.ExplorePlan
	// gatewayFrom says where target.gateway_timeout came from, for config
	// check: "" (a flag, its variable or the file), or "the contract's".
	gatewayFrom string
}

// fleetResolution is a run's configuration when it may hold many targets:
// one resolution per target (a single-target config is a fleet of one,
// unnamed), resolved through the same steps as a single target's.
type fleetResolution struct {
	opts     runOptions
	toStdout string
	// named: the config has a targets: list (every member has a name).
	named   bool
	members []resolution
	shard   shardSpec
}

// isFleet reports whether the run takes the fleet path: a targets: list,
// or a sharded run (a fleet of one).
func (fl fleetResolution) isFleet() bool { return fl.named || fl.shard.count > 0 }

// stop stops every member's embedded reference.
func (fl fleetResolution) stop() {
	for _, m := range fl.members {
		m.stop()
	}
}

// resolveFleet is the one configuration-resolution path, shared by run,
// explore, monitor and config check: from the command line's flags (fs,
// parsed into op), the ERRCONFORM_ environment variables and the config
// file to a validated configuration per target, refusing (exit 2, naming
// the flag, variable or field, targets[2].base_url for a fleet's) what run
// would refuse before it sends anything. config check passes run's flags
// with only --config set, so that every variable run reads, and every
// check run makes, applies to it too. The one exception is the report
// paths (checkOutputPaths), which run checks by opening them: a check must
// not create files.
//
// On success the caller must call stop, which stops the embedded
// references started. On error nothing is left running.
func (a App) resolveFleet(fs *pflag.FlagSet, op *runOptions) (fl fleetResolution, err error) {
	fromCommandLine := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { fromCommandLine[f.Name] = true })
	set, err := applyEnv(fs, a.LookupEnv)
	if err != nil {
		return fl, err
	}
	o := *op
	if err := checkRunFlags(o, set, fromCommandLine); err != nil {
		return fl, err
	}
	if fl.shard, err = parseShard(o.shard, set, fromCommandLine); err != nil {
		return fl, err
	}
	if o.configFile, err = findConfig(o, set); err != nil {
		return fl, err
	}
	toStdout, err := stdoutReport(o)
	if err != nil {
		return fl, err
	}
	o.contracts = contractMemo{} // a fleet's targets share each contract, parsed once
	fl.opts, fl.toStdout = o, toStdout
	cfg, fileSets, err := a.loadConfig(o)
	if err != nil {
		return fl, err
	}
	if len(cfg.Fleet) == 0 {
		if set["target-filter"] {
			return fl, usagef("--target-filter %q: the config has no targets: list to choose from", o.targetFilter)
		}
		t, err := a.resolveTarget(o, set, cfg, fileSets, nil)
		if err != nil {
			return fl, err
		}
		res := resolution{opts: o, name: t.cfg.TargetName(t.embedded), contract: t.contract, cfg: t.cfg, embedded: t.embedded, stop: t.stop, toStdout: toStdout, gatewayFrom: t.gatewayFrom}
		if err := res.check(); err != nil {
			t.stop()
			return fleetResolution{}, err
		}
		fl.members = []resolution{res}
		return fl, nil
	}
	fl.named = true
	if set["target"] {
		return fl, usagef("%s (--target) cannot be combined with the targets: list of %s: choose among them with --target-filter", source(set, fromCommandLine, "target"), o.configFile)
	}
	if set["name"] {
		return fl, usagef("%s names a single target: each entry of the targets: list of %s has its own name", source(set, fromCommandLine, "name"), o.configFile)
	}
	if o.rerunFailed != "" {
		return fl, usagef("--rerun-failed is not supported with a targets: list yet: run the failed cases with --target-filter and --case")
	}
	chosen, err := filterMembers(cfg.Fleet, o.targetFilter, set["target-filter"])
	if err != nil {
		return fl, err
	}
	defer func() {
		if err != nil {
			fl.stop()
			fl = fleetResolution{}
		}
	}()
	for _, m := range chosen {
		sets := map[string]bool{"target.timeout": m.Sets("target.timeout"), "target.gateway_timeout": m.Sets("target.gateway_timeout")}
		t, err := a.resolveTarget(o, set, m.Config, sets, &m)
		if err != nil {
			return fl, err
		}
		res := resolution{opts: o, name: m.Name, contract: t.contract, cfg: t.cfg, embedded: t.embedded, stop: t.stop, toStdout: toStdout, gatewayFrom: t.gatewayFrom}
		fl.members = append(fl.members, res)
		if err := fl.members[len(fl.members)-1].check(); err != nil {
			return fl, m.Rename(prefixed(err, m))
		}
	}
	return fl, nil
}

// prefixed names the target in an error that is not a config.Error (a
// --case matching nothing under its contract, say).
func prefixed(err error, m config.Member) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return err
	}
	var ue usageError
	if errors.As(err, &ue) {
		return usagef("target %s: %v", m.Name, ue.err)
	}
	return fmt.Errorf("target %s: %w", m.Name, err)
}

// source names where a flag's value came from: the flag, or its variable.
func source(set, fromCommandLine map[string]bool, name string) string {
	if fromCommandLine[name] {
		return "--" + name
	}
	return EnvName(name)
}

// filterMembers keeps the members whose names match the --target-filter
// glob (path.Match; comma-separated globs match any); one matching none
// is a usage error.
func filterMembers(members []config.Member, filter string, given bool) ([]config.Member, error) {
	if !given {
		return members, nil
	}
	var globs []string
	for _, g := range strings.Split(filter, ",") {
		if g = strings.TrimSpace(g); g != "" {
			if _, err := path.Match(g, ""); err != nil {
				return nil, usagef("--target-filter %q: not a valid glob: %v", g, err)
			}
			globs = append(globs, g)
		}
	}
	if len(globs) == 0 {
		return nil, usagef("--target-filter is empty (ERRCONFORM_TARGET_FILTER set to an empty string?)")
	}
	var out []config.Member
	var names []string
	for _, m := range members {
		names = append(names, m.Name)
		for _, g := range globs {
			if ok, _ := path.Match(g, m.Name); ok {
				out = append(out, m)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, usagef("--target-filter %q matches no target (the targets are %s)", filter, strings.Join(names, ", "))
	}
	return out, nil
}

// check completes a resolution with what depends on the merged
// configuration: the TLS settings, the cases to choose from (the
// catalogue, the explore variants, or both), the selected ones (whose
// positive controls the request budget must leave room for) and the
// waivers. A config's explore section is checked whenever it has one, so
// that run and config check refuse a bad one alike, and explore does not
// find out later.
func (res *resolution) check() error {
	var err error
	if res.tls, err = tlsConfigFor(res.cfg.TLS); err != nil {
		return err
	}
	catalogue, err := suites.For(res.contract)
	if err != nil {
		return usageError{err}
	}
	exploring := res.opts.explore || res.opts.exploreOnly
	var plan *suites.ExplorePlan
	if exploring || exploreConfigured(res.cfg.Explore) {
		if plan, err = res.explorePlan(); err != nil {
			return err
		}
	}
	if exploreConfigured(res.cfg.Explore) && !exploring {
		// Walked here only to refuse a selection with too many variants.
		if err := plan.Walk(func(suites.Case) bool { return true }); err != nil {
			return res.exploreFieldsError(err)
		}
	}
	head, tail := catalogue, []suites.Case(nil)
	switch {
	case res.opts.exploreOnly && !res.cfg.Fixtures.Has("model"):
		// Every variant names the configured model: without it each would
		// be skipped, and explore would end green having judged nothing.
		return &config.Error{File: res.opts.configFile, Field: "fixtures.model",
			Msg: "is not set: explore sends one-token chat requests for a model the target serves; name it"}
	case res.opts.exploreOnly:
		head = controlCases(catalogue)
	case exploring:
		// The variants go before the cases that run alone, which stay last.
		at := slices.IndexFunc(catalogue, func(c suites.Case) bool { return c.Alone })
		if at >= 0 {
			head, tail = catalogue[:at], catalogue[at:]
		}
	default:
		plan = nil
	}
	if res.selected, err = selectCases(res.opts, head, tail, plan, reportTarget{res.cfg.Target.BaseURL, res.embedded}); err != nil {
		if isTooManyVariants(err) {
			return res.exploreFieldsError(err)
		}
		return err
	}
	if err := checkControlsCovered(res.contract, res.selected.held()); err != nil {
		return err
	}
	if controls := int64(len(controlCases(res.selected.held()))); res.cfg.Limits.MaxRequests > 0 && res.cfg.Limits.MaxRequests < controls {
		return usagef("a request budget of %d (--max-requests, limits.max_requests) leaves no room for the %d positive controls, which prove the run tests the target",
			res.cfg.Limits.MaxRequests, controls)
	}
	if res.opts.waivers != "" {
		// A waiver file may name explore variants whether or not this run
		// explores: one file serves run and explore alike.
		known := map[string]bool{}
		for _, c := range catalogue {
			known[c.ID] = true
		}
		walked := false
		isKnown := func(id string) bool {
			if !known[id] && !walked {
				// Walked once, for the first waiver naming no case of the
				// catalogue; the IDs are let go with the waivers loaded.
				walked = true
				if plan, err := res.explorePlan(); err == nil {
					// Its one error, too many variants, was returned
					// above: a configured selection is walked there
					// (check or selectCases); the default has ~500.
					_ = plan.Walk(func(c suites.Case) bool {
						known[c.ID] = true
						return true
					})
				}
			}
			return known[id]
		}
		if res.waivers, err = config.LoadWaivers(res.opts.waivers, isKnown, time.Now(), res.cfg.WaiversMaxDaysOrDefault()); err != nil {
			return err
		}
	}
	return nil
}

// checkControlsCovered refuses a contract that covers none of the
// selected positive controls (suites marks a control not in the contract
// when the contract has no route for it): with no control to run, the run
// cannot prove it tests the intended target with a working key and
// model, and a gate would go green on nothing.
func checkControlsCovered(contract *spec.Contract, selected []suites.Case) error {
	controls := controlCases(selected)
	if len(controls) == 0 {
		return nil
	}
	var why []string
	for _, c := range controls {
		if c.NotInContract == "" {
			return nil
		}
		why = append(why, c.ID+": "+c.NotInContract)
	}
	return usagef("the contract %s covers none of the positive controls (%s): a run under it cannot prove it tests the target with a working key and model; add GET /models or POST /chat/completions to its paths",
		contract.Label(), strings.Join(why, "; "))
}

// explorePlan returns the plan of the explore variants the configuration
// selects under the contract (made once): from the request schema
// explore.request_schema names, else the one the contract names
// (request_schema), else the embedded OpenAI schemas; the fields
// explore.fields selects. A schema that does not load, or a selection
// matching no field, is a configuration error naming the field.
func (res *resolution) explorePlan() (*suites.ExplorePlan, error) {
	if res.plan != nil {
		return res.plan, nil
	}
	e := res.cfg.Explore
	path, field := e.RequestSchema, "explore.request_schema"
	if path == "" && res.contract.RequestSchema != "" {
		path, field = res.contract.RequestSchema, "contract ("+res.contract.Label()+") request_schema"
	}
	rs, err := spec.OpenRequestSchemas(path)
	if err != nil {
		return nil, &config.Error{File: res.opts.configFile, Field: field, Msg: err.Error()}
	}
	plan, err := suites.NewExplorePlan(res.contract, rs, suites.SelectionOf(e))
	if err != nil {
		return nil, res.exploreFieldsError(err)
	}
	res.plan = plan
	return plan, nil
}

// exploreFieldsError is a selection's error as the config's.
func (res *resolution) exploreFieldsError(err error) error {
	return &config.Error{File: res.opts.configFile, Field: "explore.fields", Msg: err.Error()}
}

// exploreConfigured reports whether a config has an explore section.
func exploreConfigured(e config.Explore) bool {
	return e.RequestSchema != "" || len(e.Fields.Include) > 0 || len(e.Fields.Exclude) > 0 || len(e.Unsupported) > 0 || len(e.Implements) > 0 || e.Deep
}

// checkRunFlags refuses flag (or environment) values that would switch a
// safety off rather than tighten it, naming the flag and, when the value
// came from the environment, the variable.
func checkRunFlags(o runOptions, set, fromCommandLine map[string]bool) error {
	source := func(name string) string {
		if fromCommandLine[name] {
			return "--" + name
		}
		return EnvName(name) + " (--" + name + ")"
	}
	if o.deadline < MinDeadline {
		return usagef("%s %s: must be at least %s: the whole run, report writing included, must fit in it", source("deadline"), o.deadline, MinDeadline)
	}
	if set["timeout"] && o.timeout <= 0 {
		return usagef("%s %s: must be a positive duration such as 40s", source("timeout"), o.timeout)
	}
	if set["gateway-timeout"] && o.gatewayTimeout <= 0 {
		return usagef("%s %s: must be a positive duration such as 30s: the 504 rule needs it", source("gateway-timeout"), o.gatewayTimeout)
	}
	if set["max-rps"] && (math.IsNaN(o.maxRPS) || math.IsInf(o.maxRPS, 0) || o.maxRPS < 0) {
		return usagef("%s %v: must be a finite number of requests per second, 0 or more (0: no cap)", source("max-rps"), o.maxRPS)
	}
	return checkNameAndTagFlags(o, set, source)
}

// applyEnv sets every flag the command line left unset from its
// ERRCONFORM_<FLAG> environment variable, and returns the flags set by
// either, so that both win over the config file.
func applyEnv(fs *pflag.FlagSet, lookup config.LookupEnv) (map[string]bool, error) {
	set := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name := envOf(f)
		if set[f.Name] || err != nil || name == "" {
			return
		}
		if v, ok := lookup(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				var invalid *pflag.InvalidValueError
				if errors.As(e, &invalid) && invalid.Unwrap() != nil {
					e = invalid.Unwrap()
				}
				err = usagef("environment variable %s=%q (--%s): %v", name, v, f.Name, e)
				return
			}
			set[f.Name] = true
		}
	})
	return set, err
}

// EnvName is the environment variable for a flag: --max-rps is
// ERRCONFORM_MAX_RPS.
func EnvName(flagName string) string {
	return "ERRCONFORM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// configFiles are read from the working directory when no --config is
// given, in this order.
var configFiles = []string{"errconform.yaml", ".errconform.yaml"}

// findConfig returns the config file to use: --config (or ERRCONFORM_CONFIG),
// else the first of configFiles in the working directory, else "".
func findConfig(o runOptions, set map[string]bool) (string, error) {
	if set["config"] {
		if o.configFile == "" {
			return "", usagef("--config is empty (ERRCONFORM_CONFIG set to an empty string?)")
		}
		return o.configFile, nil
	}
	for _, name := range configFiles {
		if info, err := os.Stat(name); err == nil && !info.IsDir() {
			return name, nil
		}
	}
	return "", nil
}

// errNoTarget explains how to name a target; a missing CI secret must never
// quietly turn into a green run against the embedded reference.
const errNoTarget = "no target to check: give the API's base URL with --target, ERRCONFORM_TARGET or target.base_url in the config (" +
	"--target reference runs against the embedded reference)"

// resolvedTarget is what resolveTarget resolves: the merged and
// validated configuration, the contract, whether the target is the
// embedded reference (stop releases it), and where the gateway timeout
// came from.
type resolvedTarget struct {
	cfg         config.Config
	contract    *spec.Contract
	embedded    bool
	stop        func()
	gatewayFrom string
}

// loadConfig reads the config file (validated later, once flags and
// environment are merged in), or gives the defaults when there is none,
// and says which of target.timeout and target.gateway_timeout the file
// sets itself.
func (a App) loadConfig(o runOptions) (config.Config, map[string]bool, error) {
	var cfg config.Config
	if o.configFile == "" {
		cfg.ApplyDefaults()
		return cfg, map[string]bool{}, nil
	}
	cfg, err := config.Load(o.configFile, a.LookupEnv)
	if err != nil {
		return cfg, nil, err
	}
	fileSets, err := keysSetIn(o.configFile, "target.timeout", "target.gateway_timeout")
	if err != nil {
		return cfg, nil, err
	}
	return cfg, fileSets, nil
}

// resolveTarget merges flags and environment over a target's configuration
// from the file (cfg; in that order of precedence), loads the contract they
// name, and starts the embedded reference (speaking that contract) when the
// target is "reference"; stop releases it. Where none of them sets
// target.gateway_timeout, the contract's own gateway timeout applies (and
// target.timeout, when no one set it either, grows to leave room for it).
// m is the fleet member being resolved (nil for a single target): errors
// then name its fields (targets[2].base_url).
func (a App) resolveTarget(o runOptions, set map[string]bool, cfg config.Config, fileSets map[string]bool, m *config.Member) (resolvedTarget, error) {
	none := resolvedTarget{stop: func() {}}
	rename := func(err error) error {
		if m != nil {
			return m.Rename(err)
		}
		return err
	}
	contract, err := openContract(o, set, cfg)
	if err != nil {
		return none, rename(err)
	}
	if set["target"] {
		if strings.TrimSpace(o.target) == "" {
			return none, usagef("the target is empty: --target or ERRCONFORM_TARGET is set to an empty string (a CI secret that is not set?); %s", errNoTarget)
		}
		cfg.Target.BaseURL = o.target
	}
	if cfg.Target.BaseURL == "" {
		if o.configFile != "" {
			return none, rename(&config.Error{File: o.configFile, Field: "target.base_url", Msg: errNoTarget})
		}
		return none, usagef("%s", errNoTarget)
	}
	a.applyKeyFromEnv(&cfg)
	t := resolvedTarget{contract: contract, stop: func() {}}
	if cfg.Target.BaseURL == config.ReferenceTarget {
		opts := reference.Options{GatewayTimeout: EmbeddedGatewayTimeout}
		running, err := reference.Start(contract, opts, "")
		if err != nil {
			return none, fmt.Errorf("start the embedded reference: %w", err)
		}
		t.stop = func() { _ = running.Close() }
		ref := running.Config()
		ref.Require, ref.Strict, ref.Limits, ref.TLS, ref.Contract, ref.Explore = cfg.Require, cfg.Strict, cfg.Limits, cfg.TLS, cfg.Contract, cfg.Explore
		ref.PublicEnv, ref.Env = cfg.PublicEnv, cfg.Env // what the file read stays redacted
		ref.Target.Name, ref.Tags = cfg.Target.Name, cfg.Tags
		cfg, t.embedded = ref, true
	} else if !set["gateway-timeout"] && !fileSets["target.gateway_timeout"] {
		t.gatewayFrom = applyContractTimeout(&cfg, contract, set["timeout"] || fileSets["target.timeout"])
	}
	overrideFromFlags(&cfg, o, set)
	applyTrafficDefaults(&cfg, set["max-rps"])
	if err := cfg.Validate(); err != nil {
		t.stop()
		var ce *config.Error
		if errors.As(err, &ce) && o.configFile != "" && ce.File == "" {
			ce.File = o.configFile
		}
		return none, rename(err)
	}
	t.cfg = cfg
	return t, nil
}

// timeoutMargin is what target.timeout leaves beyond the gateway timeout
// and its slack by default (40s = 30s + 5s + 5s).
const timeoutMargin = config.DefaultTimeout - config.DefaultGatewayTimeout - config.TimeoutSlack

// applyContractTimeout sets the gateway timeout to the contract's, where
// it names one, and says so ("the contract's"; "" when it names none).
// Unless timeoutSet (a flag, its variable or the file set target.timeout),
// the per-request timeout grows to leave room for a late 504.
func applyContractTimeout(cfg *config.Config, contract *spec.Contract, timeoutSet bool) string {
	gateway := contract.GatewayTimeout()
	if gateway <= 0 {
		return ""
	}
	cfg.Target.GatewayTimeout = config.Duration(gateway)
	if need := gateway + config.TimeoutSlackFor(gateway) + timeoutMargin; !timeoutSet && cfg.Target.Timeout.Std() < need {
		cfg.Target.Timeout = config.Duration(need)
	}
	return "the contract's"
}

// keysSetIn reports which of the dotted keys ("target.timeout") a config
// file sets itself, whatever the value: config.Load fills in defaults,
// and a default must not hide the contract's own value.
func keysSetIn(path string, keys ...string) (map[string]bool, error) {
	data, err := config.ReadFileLimited(path, config.MaxFileBytes)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()} // config.Load read it already: not expected
	}
	found := map[string]bool{}
	for _, key := range keys {
		node := &root
		if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
			node = node.Content[0]
		}
		for _, part := range strings.Split(key, ".") {
			node = member(node, part)
		}
		found[key] = node != nil
	}
	return found, nil
}

// member is the value of a mapping node's member, or nil.
func member(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i+1]
		}
	}
	return nil
}

// openContract loads the contract a run is judged by: --contract (or
// ERRCONFORM_CONTRACT), else the config file's contract, else the
// default; one the catalogue cannot speak (an unknown situation) is
// refused like any bad setting, naming where it came from.
func openContract(o runOptions, set map[string]bool, cfg config.Config) (*spec.Contract, error) {
	name, from := cfg.Contract, "contract"
	if set["contract"] {
		if strings.TrimSpace(o.contract) == "" {
			return nil, usagef("--contract is empty (ERRCONFORM_CONTRACT set to an empty string?): name a built-in contract (%s) or a contract file", strings.Join(spec.BuiltinNames(), ", "))
		}
		name, from = o.contract, "--contract"
	}
	contract, err := o.contracts.load(name)
	if err == nil {
		return contract, nil
	}
	if from == "contract" && o.configFile != "" {
		return nil, &config.Error{File: o.configFile, Field: "contract", Msg: err.Error()}
	}
	return nil, usagef("%s %s: %v", from, name, err)
}

// contractMemo keeps the contracts one resolution has loaded, by name or
// path: a fleet of twenty targets under one contract parses it once. A
// contract is not changed after it is loaded. A nil memo loads every time.
type contractMemo map[string]*spec.Contract

func (m contractMemo) load(nameOrPath string) (*spec.Contract, error) {
	if c, ok := m[nameOrPath]; ok {
		return c, nil
	}
	c, err := loadContract(nameOrPath)
	if err == nil && m != nil {
		m[nameOrPath] = c
	}
	return c, err
}

// loadContract opens a contract by name or path ("" for the default) and
// checks that it names only situations of the catalogue.
func loadContract(nameOrPath string) (*spec.Contract, error) {
	contract, err := spec.Open(nameOrPath)
	if err != nil {
		return nil, err
	}
	if err := suites.CheckContract(contract); err != nil {
		return nil, err
	}
	return contract, nil
}

// overrideFromFlags applies the flags (or their environment variables)
// that were given over the config file's values.
func overrideFromFlags(cfg *config.Config, o runOptions, set map[string]bool) {
	if set["require"] {
		cfg.Require = splitList(o.require)
	}
	if set["strict"] {
		cfg.Strict = o.strict
	}
	if set["timeout"] {
		cfg.Target.Timeout = config.Duration(o.timeout)
	}
	if set["gateway-timeout"] {
		cfg.Target.GatewayTimeout = config.Duration(o.gatewayTimeout)
	}
	if set["max-rps"] {
		cfg.Limits.MaxRPS = o.maxRPS
	}
	if set["max-requests"] {
		cfg.Limits.MaxRequests = o.maxRequests
	}
	if set["concurrency"] {
		cfg.Limits.Concurrency = o.concurrency
	}
	if set["max-body"] {
		cfg.Limits.MaxBodyBytes = o.maxBody
	}
	if set["ca-cert"] {
		cfg.TLS.CACert = o.caCert
	}
	if set["insecure"] {
		cfg.TLS.Insecure = o.insecure
	}
	overrideNameAndTags(cfg, o, set)
}

// applyTrafficDefaults fills the limits left unset: a modest rate for a
// remote target, none on loopback. An explicit --max-rps 0 means no cap.
func applyTrafficDefaults(cfg *config.Config, rateGiven bool) {
	if cfg.Limits.Concurrency == 0 {
		cfg.Limits.Concurrency = DefaultConcurrency
	}
	if cfg.Limits.MaxRPS == 0 && !rateGiven && !isLoopback(cfg.Target.BaseURL) {
		cfg.Limits.MaxRPS = DefaultMaxRPS
	}
}

func isLoopback(baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxCAFileBytes bounds a --ca-cert file: a whole system bundle is about
// 200 KiB.
const maxCAFileBytes = 4 << 20

func tlsConfigFor(t config.TLS) (*tls.Config, error) {
	if t.CACert == "" && !t.Insecure {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.Insecure} //nolint:gosec // --insecure is explicit and warned about
	if t.CACert != "" {
		pem, err := config.ReadFileLimited(t.CACert, maxCAFileBytes)
		if err != nil {
			return nil, &config.Error{Field: "tls.ca_cert", Msg: fmt.Sprintf("%s: %v", t.CACert, err)}
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &config.Error{Field: "tls.ca_cert", Msg: fmt.Sprintf("%s holds no PEM certificate", t.CACert)}
		}
		c.RootCAs = pool
	}
	return c, nil
}

// applyKeyFromEnv lets ERRCONFORM_API_KEY win over auth.api_key: the key
// is never a flag, so the environment is its highest source.
func (a App) applyKeyFromEnv(cfg *config.Config) {
	if key, ok := a.LookupEnv("ERRCONFORM_API_KEY"); ok && key != "" {
		cfg.Auth.APIKey = key
	}
}
