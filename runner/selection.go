package runner

// The cases a resolution selects: what depends on the merged
// configuration (config.Resolve's) and the contract, checked before
// anything is sent.

import (
	"slices"
	"strings"
	"time"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// check completes a resolution with what depends on the merged
// configuration: the TLS settings, the cases to choose from (the
// catalogue, the explore variants, or both), the selected ones (whose
// positive controls the request budget must leave room for) and the
// waivers. A config's explore section is checked whenever it has one, so
// that run and config check refuse a bad one alike, and explore does not
// find out later.
//
// Its complexity (26) is a sequence of independent checks, each returning
// its own error in the order a user fixes them; there is no shared logic
// to factor out.
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
