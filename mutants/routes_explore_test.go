package mutants_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/mutants"
)

// Explore over every route, through the route mutant that drops the
// transcription form fields it cannot read: explore's multipart variants
// it touches (response_format outside its values, a temperature or a
// stream that does not parse) fail, under both built-in contracts grown
// to list every route, and no other variant does.
func TestExploreCatchesTheTranscriptionFormMutant(t *testing.T) {
	m, ok := mutants.ByName("transcriptions-form-fields-dropped")
	require.True(t, ok)
	for _, contract := range routedContracts(t) {
		t.Run(contract.Origin(), func(t *testing.T) {
			require.Empty(t, m.NotApplicableUnder(contract))
			touched := 0
			for _, r := range runExplore(t, contract, m.Wrap) {
				if r.Case.NotInContract != "" {
					continue
				}
				if m.Affects(r.Case) {
					touched++
					assert.Equal(t, check.Failed, r.Verdict, "%s is touched by %s: %s", r.Case.ID, m.Name, r.Summary())
					assert.Contains(t, r.Summary(), "accepted invalid input", r.Case.ID)
					continue
				}
				assert.Equal(t, check.Passed, r.Verdict, "collateral: %s is untouched by %s: %s", r.Case.ID, m.Name, r.Summary())
			}
			assert.GreaterOrEqual(t, touched, 3, "the transcription variants of the core set: response_format, temperature, stream")
		})
	}
}
