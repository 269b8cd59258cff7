package reports

import (
	"sort"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/spec"
)

// notInContract reports whether the contract did not cover the case: it
// was listed, never run and never passed.
func notInContract(c CaseReport) bool {
	return c.NotInContract != "" || c.SkipReason == check.NotInContract
}

// caseSkipText is how a report shows a skipped case: "not in this
// contract: <why>" for a case the contract does not cover, else its reason.
func caseSkipText(c CaseReport) string {
	if notInContract(c) {
		why := c.NotInContract
		if why == "" {
			why = c.Reason
		}
		return NotInContractText(why)
	}
	return c.Reason
}

// reasonCount is one reason the contract gives for not covering cases,
// with those cases.
type reasonCount struct {
	Reason string
	Cases  []string
}

// notInContractReasons groups the cases the contract does not cover by
// the reason it gives, most cases first (then by reason).
func notInContractReasons(cases []CaseReport) []reasonCount {
	index := map[string]int{}
	var out []reasonCount
	for _, c := range cases {
		if !notInContract(c) {
			continue
		}
		why := c.NotInContract
		if why == "" {
			why = c.Reason
		}
		i, ok := index[why]
		if !ok {
			i = len(out)
			index[why] = i
			out = append(out, reasonCount{Reason: why})
		}
		out[i].Cases = append(out[i].Cases, c.ID)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Cases) != len(out[j].Cases) {
			return len(out[i].Cases) > len(out[j].Cases)
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// layoutContract is the contract a report's matrix may take its statuses
// and codes from: the one given, when it is the contract the report was
// judged against (same name and version, or a report that does not say),
// else none, and the matrix is laid out by the cases alone. A report of an
// OpenRouter run is never drawn on the default contract's statuses.
func layoutContract(rep JSONReport, contract *spec.Contract) *spec.Contract {
	if contract == nil {
		return nil
	}
	if name := rep.Contract.Name; name != "" && name != UnknownContract && name != contract.Name {
		return nil
	}
	if v := rep.Contract.Version; v != "" && v != contract.Version {
		return nil
	}
	return contract
}

// codeEqualsStatus reports whether the contract's error.code carries the
// HTTP status (OpenRouter's numeric codes).
func codeEqualsStatus(contract *spec.Contract) bool {
	if contract == nil {
		return false
	}
	for _, f := range contract.EqualsStatus {
		if f == "code" {
			return true
		}
	}
	return false
}
