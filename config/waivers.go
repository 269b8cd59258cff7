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

// Waiver lifetimes. A waiver must expire within DefaultWaiversMaxDays of
// the run's date, or within waivers_max_days when the config says so (at
// most MaxWaiversMaxDays); a waiver beyond the default is printed loudly by
// every run that loads it.
const (
	DefaultWaiversMaxDays = 90
	MaxWaiversMaxDays     = 365
)

// WaiversMaxDaysOrDefault is the longest a waiver may run under this config.
func (c Config) WaiversMaxDaysOrDefault() int {
	if c.WaiversMaxDays > 0 {
		return c.WaiversMaxDays
	}
	return DefaultWaiversMaxDays
}

// DaysLeft is how many whole days from now's date the waiver expires.
func (w Waiver) DaysLeft(now time.Time) int {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return int(w.Until.Sub(today).Hours() / 24)
}

// WithinDays reports whether the waiver expires at most maxDays after
// now's date (UTC).
func (w Waiver) WithinDays(now time.Time, maxDays int) bool { return w.DaysLeft(now) <= maxDays }

// ParseWaiver is a waiver as a report records it, its expiry parsed.
func ParseWaiver(caseID, reason, expires string) (Waiver, error) {
	return Waiver{Case: caseID, Reason: reason, Expires: expires}.parsed()
}

// parsed is the waiver with Until parsed from Expires.
func (w Waiver) parsed() (Waiver, error) {
	until, err := time.Parse(time.DateOnly, w.Expires)
	if err != nil {
		return w, fmt.Errorf("%q is not a date such as 2026-12-31", w.Expires)
	}
	w.Until = until
	return w, nil
}

// Active reports whether the waiver still excuses a failure at now.
func (w Waiver) Active(now time.Time) bool { return now.Before(w.Until) }

type waiverFile struct {
	Waivers []Waiver `yaml:"waivers"`
}

// LoadWaivers reads a waiver file. Every entry needs a known case ID, a
// reason and an expiry date at most maxDays after now's date (UTC);
// anything else is an Error naming the entry. The file is read up to
// MaxFileBytes.
func LoadWaivers(path string, knownCase func(id string) bool, now time.Time, maxDays int) (map[string]Waiver, error) {
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
		w, err := w.parsed()
		if err != nil {
			return nil, &Error{File: path, Field: field + ".expires", Msg: err.Error()}
		}
		if _, dup := out[w.Case]; dup {
			return nil, &Error{File: path, Field: field + ".case", Msg: fmt.Sprintf("%s is waived twice", w.Case)}
		}
		if !w.WithinDays(now, maxDays) {
			return nil, &Error{File: path, Field: field + ".expires", Msg: fmt.Sprintf("%s is %d days from today (%s): a waiver may run at most %d days (waivers_max_days in the config, at most %d); renew it when it expires",
				w.Expires, w.DaysLeft(now.UTC()), now.UTC().Format(time.DateOnly), maxDays, MaxWaiversMaxDays)}
		}
		out[w.Case] = w
	}
	return out, nil
}
