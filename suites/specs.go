package suites

import (
	"context"

	"github.com/onsi/ginkgo/v2"

	"github.com/errconform/errconform/check"
)

// Register builds the Ginkgo spec tree: one It per case, named by its ID
// and labelled with its labels. run returns a case's result (performed by
// Execute, perhaps ahead of time); the spec then passes, skips or fails on
// its verdict. Register must be called before ginkgo.RunSpecs, once per
// process.
func Register(cases []Case, run func(ctx context.Context, c Case) Result) {
	// One unnamed, Ordered container keeps the catalogue's order (so cases
	// marked Alone, placed last, follow the rest) without adding text to the
	// spec names JUnit reports; ContinueOnFailure keeps one failure from
	// skipping the cases after it.
	ginkgo.Describe("", ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
		for _, c := range cases {
			c := c
			ginkgo.It(c.ID, ginkgo.Label(c.Labels...), func(ctx ginkgo.SpecContext) {
				res := run(ctx, c)
				switch res.Verdict {
				case check.Skipped:
					ginkgo.Skip(res.Reason)
				case check.Failed:
					ginkgo.Fail(res.Summary())
				case check.Errored:
					ginkgo.Fail("errored: " + res.Summary())
				case check.Waived:
					ginkgo.Skip(res.Reason)
				}
			})
		}
	})
}
