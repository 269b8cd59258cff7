package runner

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/errconform/errconform/check"
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
	// sources say where each field of cfg came from (config.Resolve).
	sources map[string]config.Source
}

// fleetResolution is a run's configuration when it may hold many targets:
// one resolution per target (a single-target config is a fleet of one,
// unnamed), resolved through the same steps as a single target's.
type fleetResolution struct {
	opts     runOptions
	toStdout string
	// settings are the flags given, by the command line or a variable.
	settings config.Settings
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
	settings, err := config.FlagSettings(fs, a.LookupEnv, envOf)
	if err != nil {
		return fl, asUsage(err)
	}
	set := settingsSet(settings)
	o := *op
	if err := checkRunFlags(o, settings); err != nil {
		return fl, err
	}
	if fl.shard, err = parseShard(o.shard, settings); err != nil {
		return fl, err
	}
	if o.configFile, err = a.findConfig(o, set); err != nil {
		return fl, err
	}
	toStdout, err := stdoutReport(o)
	if err != nil {
		return fl, err
	}
	o.contracts = contractMemo{} // a fleet's targets share each contract, parsed once
	fl.opts, fl.toStdout, fl.settings = o, toStdout, settings
	cfg, err := a.loadConfig(o)
	if err != nil {
		return fl, err
	}
	if len(cfg.Fleet) == 0 {
		if set["target-filter"] {
			return fl, usagef("--target-filter %q: the config has no targets: list to choose from", o.targetFilter)
		}
		t, err := a.resolveTarget(o, settings, cfg, nil)
		if err != nil {
			return fl, err
		}
		res := resolution{opts: o, name: t.cfg.TargetName(t.embedded), contract: t.contract, cfg: t.cfg, embedded: t.embedded, stop: t.stop, toStdout: toStdout, gatewayFrom: t.gatewayFrom, sources: t.sources}
		if err := res.check(); err != nil {
			t.stop()
			return fleetResolution{}, err
		}
		fl.members = []resolution{res}
		return fl, nil
	}
	fl.named = true
	if set["target"] {
		return fl, usagef("%s cannot be combined with the targets: list of %s: choose among them with --target-filter", settings.Named("target"), o.configFile)
	}
	if set["name"] {
		return fl, usagef("%s names a single target: each entry of the targets: list of %s has its own name", settings.Named("name"), o.configFile)
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
		t, err := a.resolveTarget(o, settings, m.Config, &m)
		if err != nil {
			return fl, err
		}
		res := resolution{opts: o, name: m.Name, contract: t.contract, cfg: t.cfg, embedded: t.embedded, stop: t.stop, toStdout: toStdout, gatewayFrom: t.gatewayFrom, sources: t.sources}
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

// checkRunFlags refuses flag (or environment) values that would switch a
// safety off rather than tighten it, naming the flag and, when the value
// came from the environment, the variable.
func checkRunFlags(o runOptions, settings config.Settings) error {
	source, set := settings.Named, settings.Has
	if o.deadline < MinDeadline {
		return usagef("%s %s: must be at least %s: the whole run, report writing included, must fit in it", source("deadline"), o.deadline, MinDeadline)
	}
	if set("timeout") && o.timeout <= 0 {
		return usagef("%s %s: must be a positive duration such as 40s", source("timeout"), o.timeout)
	}
	if set("gateway-timeout") && o.gatewayTimeout <= 0 {
		return usagef("%s %s: must be a positive duration such as 30s: the 504 rule needs it", source("gateway-timeout"), o.gatewayTimeout)
	}
	if set("max-rps") && (math.IsNaN(o.maxRPS) || math.IsInf(o.maxRPS, 0) || o.maxRPS < 0) {
		return usagef("%s %v: must be a finite number of requests per second, 0 or more (0: no cap)", source("max-rps"), o.maxRPS)
	}
	if set("fail-on") {
		if _, err := check.ParseFailOn(o.failOn); err != nil {
			return usagef("%s %q: want new or any", source("fail-on"), o.failOn)
		}
	}
	return checkNameAndTagFlags(o, set, source)
}

// EnvName is the environment variable for a flag: --max-rps is
// ERRCONFORM_MAX_RPS.
func EnvName(flagName string) string { return config.EnvName(flagName) }

// asUsage makes a refused flag or variable (config.SettingError) a usage
// error: exit 2.
func asUsage(err error) error {
	var se *config.SettingError
	if errors.As(err, &se) {
		return usageError{err}
	}
	return err
}

// settingsSet are the flags given, by the command line or a variable.
func settingsSet(settings config.Settings) map[string]bool {
	set := map[string]bool{}
	for name := range settings {
		set[name] = true
	}
	return set
}

// configFiles are looked for when no --config is given, in this order,
// in the working directory and then in each parent up to the
// repository's root (the directory holding .git), as golangci-lint does.
var configFiles = []string{"errconform.yaml", ".errconform.yaml"}

// findConfig returns the config file to use: --config (or
// ERRCONFORM_CONFIG), else the nearest of configFiles (discoverConfig),
// else "". A file found by looking is named on standard error (one line,
// --quiet too): which file a run used must never be a guess.
func (a App) findConfig(o runOptions, set map[string]bool) (string, error) {
	if set["config"] {
		if o.configFile == "" {
			return "", usagef("--config is empty (ERRCONFORM_CONFIG set to an empty string?)")
		}
		return o.configFile, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", nil
	}
	found := discoverConfig(wd)
	if found != "" {
		fmt.Fprintf(a.Stderr, "errconform: using config %s (found by looking from the working directory up to the repository root; --config names another)\n", found)
	}
	return found, nil
}

// discoverConfig is the first of configFiles in dir, else in its parents
// up to and including the first that holds .git (the repository's root)
// or the file system's root; "" when there is none. A file in the working
// directory is named as it is (errconform.yaml); one above by a relative
// path (../errconform.yaml).
func discoverConfig(dir string) string {
	for up := ""; ; up += ".." + string(filepath.Separator) {
		for _, name := range configFiles {
			if info, err := os.Stat(filepath.Join(dir, name)); err == nil && !info.IsDir() {
				return up + name
			}
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// resolvedTarget is what resolveTarget resolves: the merged and
// validated configuration with its sources, the contract, whether the
// target is the embedded reference (stop releases it), and where the
// gateway timeout came from.
type resolvedTarget struct {
	cfg         config.Config
	sources     map[string]config.Source
	contract    *spec.Contract
	embedded    bool
	stop        func()
	gatewayFrom string
}

// loadConfig reads the config file (validated by config.Resolve, once
// flags and environment are merged in), or gives the zero Config when
// there is none.
func (a App) loadConfig(o runOptions) (config.Config, error) {
	if o.configFile == "" {
		return config.Config{}, nil
	}
	return config.Load(o.configFile, a.LookupEnv)
}

// resolveTarget resolves one target's configuration with config.Resolve
// (flags, environment, file, defaults: the one precedence), loading the
// contract it names and starting the embedded reference (speaking that
// contract) when the target is "reference"; stop releases it. m is the
// fleet member being resolved (nil for a single target): errors then name
// its fields (targets[2].base_url).
func (a App) resolveTarget(o runOptions, settings config.Settings, cfg config.Config, m *config.Member) (resolvedTarget, error) {
	t := resolvedTarget{stop: func() {}}
	r, err := config.Resolve(config.Input{
		File: o.configFile, Config: cfg, Member: m, Settings: settings, Lookup: a.LookupEnv, Tags: o.tags,
		Contract: func(name string) (time.Duration, error) {
			c, err := o.contracts.load(name)
			if err != nil {
				return 0, err
			}
			t.contract = c
			return c.GatewayTimeout(), nil
		},
		Reference: func() (config.Config, error) {
			running, err := reference.Start(t.contract, reference.Options{GatewayTimeout: EmbeddedGatewayTimeout}, "")
			if err != nil {
				return config.Config{}, fmt.Errorf("start the embedded reference: %w", err)
			}
			t.stop = func() { _ = running.Close() }
			return running.Config(), nil
		},
	})
	if err != nil {
		t.stop()
		return resolvedTarget{stop: func() {}}, asUsage(err)
	}
	t.cfg, t.sources, t.embedded = r.Config, r.Sources, r.Embedded
	if r.Source("target.gateway_timeout").Kind == config.FromContract {
		t.gatewayFrom = "the contract's"
	}
	return t, nil
}

// openContract loads the contract a run is judged by, as config.Resolve
// chooses it (--contract, ERRCONFORM_CONTRACT, the config file's
// contract:, the default); one the catalogue cannot speak is refused like
// any bad setting, naming where it came from.
func openContract(o runOptions, settings config.Settings, cfg config.Config) (*spec.Contract, config.Source, error) {
	name, from, err := config.ResolveContract(settings, cfg, o.configFile)
	if err != nil {
		return nil, from, asUsage(err)
	}
	contract, err := o.contracts.load(name)
	switch {
	case err == nil:
		return contract, from, nil
	case from.Kind == config.FromFile:
		return nil, from, &config.Error{File: o.configFile, Field: "contract", Msg: err.Error()}
	case from.Kind == config.FromDefault:
		return nil, from, usagef("contract %s: %v", name, err)
	}
	return nil, from, usagef("--contract %s: %v", name, err)
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
