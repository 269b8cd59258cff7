// Cases grouped by route: what list, the generated docs and a run's
// first line say of the routes a selection judges.

package suites

import (
	"fmt"
	"strings"

	"github.com/errconform/errconform/spec"
)

// RouteCases are the cases of one route, in the order given.
type RouteCases struct {
	// Route is the path template ("/embeddings"); "" for the unknown
	// route's case, which sends to no route of the API.
	Route string
	Cases []Case
}

// InContract counts the route's cases the contract covers.
func (rc RouteCases) InContract() int {
	n := 0
	for _, c := range rc.Cases {
		if c.NotInContract == "" {
			n++
		}
	}
	return n
}

// ByRoute groups cases by their route (Case.Route): the routes in
// spec.KnownPaths' order (the body routes of the OpenAI surface, then the
// others), the unknown route's case last.
func ByRoute(cases []Case) []RouteCases {
	byRoute := map[string][]Case{}
	for _, c := range cases {
		byRoute[c.Route()] = append(byRoute[c.Route()], c)
	}
	var out []RouteCases
	for _, path := range append(spec.KnownPaths(), "") {
		if len(byRoute[path]) > 0 {
			out = append(out, RouteCases{path, byRoute[path]})
		}
	}
	return out
}

// RoutesJudged says which routes a run judges, for its first line and
// its reports: every route with a selected case the contract covers, and
// how many ("routes judged: /chat/completions 113, /files 17, /models
// 16"); the unknown route's case counts under no route.
func RoutesJudged(cases []Case) string {
	var parts []string
	for _, rc := range ByRoute(cases) {
		if n := rc.InContract(); n > 0 && rc.Route != "" {
			parts = append(parts, fmt.Sprintf("%s %d", rc.Route, n))
		}
	}
	if len(parts) == 0 {
		return "routes judged: none"
	}
	return "routes judged: " + strings.Join(parts, ", ")
}
