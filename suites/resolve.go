package suites

import (
	"fmt"
	"sort"
	"strings"

	"github.com/errconform/errconform/spec"
)

// For returns the catalogue under a contract, in a stable order: every
// case of the built-in routes, then the cases generated for each route the
// contract lists beyond them (GeneratedRoutes), each with the status and code the contract gives its situation, or the
// reason the contract does not cover it (its situation is not in the
// contract, or the contract's document has no such route). A contract
// naming a situation the catalogue does not know is refused.
func For(contract *spec.Contract) ([]Case, error) {
	if err := CheckContract(contract); err != nil {
		return nil, err
	}
	cases := situations()
	generated, err := routeCases(contract)
	if err != nil {
		return nil, err
	}
	cases = append(cases, generated...)
	for i := range cases {
		resolve(&cases[i], contract)
		finish(&cases[i])
	}
	// Cases that must run alone go last, after everything they could disturb.
	sort.SliceStable(cases, func(i, j int) bool { return !cases[i].Alone && cases[j].Alone })
	return cases, nil
}

// Catalogue returns the catalogue under the default built-in contract.
// The embedded contract is validated by the tests, so a failure here is a
// programming error.
func Catalogue() []Case {
	contract, err := spec.Load()
	if err != nil {
		panic(fmt.Sprintf("suites: the default contract does not load: %v", err))
	}
	cases, err := For(contract)
	if err != nil {
		panic(fmt.Sprintf("suites: the default contract does not fit the catalogue: %v", err))
	}
	return cases
}

// resolve fills in what the contract says of the case.
func resolve(c *Case, contract *spec.Contract) {
	if e, ok := endpointNamed(c.Endpoint); ok && !contract.HasOperation(e.method, e.route) {
		c.NotInContract = fmt.Sprintf("the contract %s has no %s %s", contract.Name, e.method, e.route)
		return
	}
	if c.Control || c.ValidInput {
		return // a valid request must succeed under any contract that has its route
	}
	outcome := contract.Outcome(c.Situation)
	if !outcome.Covered() {
		c.NotInContract = outcome.NotInContract
		return
	}
	c.Expect.Status, c.Expect.Code, c.Expect.MidStream = outcome.Status, outcome.Code, outcome.MidStream
	if !contract.HasField("param") {
		c.Expect.Param = ""
	}
}

// endpointNamed returns the endpoint of that name; "unknown" (the unknown
// route) has none.
func endpointNamed(name string) (endpoint, bool) {
	for _, e := range endpoints {
		if e.name == name {
			return e, true
		}
	}
	return endpoint{}, false
}

// Situation is one situation of the catalogue's vocabulary: what a
// contract names to say what its cases must return.
type Situation struct {
	Name string `json:"name"`
	// Cases are the IDs of the cases of that situation.
	Cases []string `json:"cases"`
	// Example is the title of its first case.
	Example string `json:"example"`
}

// Situations returns the catalogue's vocabulary, sorted by name: every
// situation a case has. It is derived from the catalogue, so a new case
// with a new situation adds it.
func Situations() []Situation {
	byName := map[string]*Situation{}
	var names []string
	for _, c := range situations() {
		if c.Situation == "" {
			continue
		}
		s, ok := byName[c.Situation]
		if !ok {
			s = &Situation{Name: c.Situation, Example: c.Title}
			byName[c.Situation] = s
			names = append(names, c.Situation)
		}
		s.Cases = append(s.Cases, c.ID)
	}
	sort.Strings(names)
	out := make([]Situation, len(names))
	for i, name := range names {
		out[i] = *byName[name]
	}
	return out
}

// CheckContract refuses a contract that names a situation outside the
// catalogue's vocabulary.
func CheckContract(contract *spec.Contract) error {
	known := map[string]bool{}
	var vocabulary []string
	for _, s := range Situations() {
		known[s.Name] = true
		vocabulary = append(vocabulary, s.Name)
	}
	for _, name := range contract.SituationNames() {
		if !known[name] {
			return fmt.Errorf("contract %s: %s.situations.%s: not a situation of errconform's catalogue (it knows %s)",
				contract.Name, spec.ContractExtension, name, strings.Join(vocabulary, ", "))
		}
	}
	return nil
}
