package config

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Waiver excuses one case's failure until its expiry date, with a reason.
type Waiver struct {
	Case    string `yaml:"case"`
	Reason  string `yaml:"reason"`
	Expires string `yaml:"expires"` // YYYY-MM-DD: from this date on, the failure counts again
	// Until is Expires parsed (midnight UTC starting that day).
	Until time.Time `yaml:"-"`
}

// Active reports whether the waiver still excuses a failure at now.
func (w Waiver) Active(now time.Time) bool { return now.Before(w.Until) }

type waiverFile struct {
	Waivers []Waiver `yaml:"waivers"`
}

// LoadWaivers reads a waiver file. Every entry needs a known case ID, a
// reason and an expiry date; anything else is an Error naming the entry.
// The file is read up to MaxFileBytes.
func LoadWaivers(path string, knownCase func(id string) bool) (map[string]Waiver, error) {
	data, err := ReadFileLimited(path, MaxFileBytes)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	var file waiverFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && len(bytes.TrimSpace(data)) > 0 {
		return nil, &Error{File: path, Msg: cleanYAMLError(err)}
	}
	out := map[string]Waiver{}
	for i, w := range file.Waivers {
		field := fmt.Sprintf("waivers[%d]", i)
		switch {
		case !knownCase(w.Case):
			return nil, &Error{File: path, Field: field + ".case", Msg: fmt.Sprintf("%q is not a case ID (errconform list shows them)", w.Case)}
		case strings.TrimSpace(w.Reason) == "":
			return nil, &Error{File: path, Field: field + ".reason", Msg: "a waiver needs a reason"}
		}
		until, err := time.Parse(time.DateOnly, w.Expires)
		if err != nil {
			return nil, &Error{File: path, Field: field + ".expires", Msg: fmt.Sprintf("%q is not a date such as 2026-12-31", w.Expires)}
		}
		if _, dup := out[w.Case]; dup {
			return nil, &Error{File: path, Field: field + ".case", Msg: fmt.Sprintf("%s is waived twice", w.Case)}
		}
		w.Until = until
		out[w.Case] = w
	}
	return out, nil
}
