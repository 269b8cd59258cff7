package runner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/suites"
)

// configCheck is "errconform config check FILE".
func (a App) configCheck(path string) error {
	cfg, err := config.Load(path, a.LookupEnv)
	if err != nil {
		return err
	}
	// The same environment run applies: ERRCONFORM_TARGET, ERRCONFORM_API_KEY.
	if v, ok := a.LookupEnv(EnvName("target")); ok {
		if strings.TrimSpace(v) == "" {
			return usagef("the target is empty: ERRCONFORM_TARGET is set to an empty string (a CI secret that is not set?); %s", errNoTarget)
		}
		cfg.Target.BaseURL = v
	}
	a.applyKeyFromEnv(&cfg)
	if err := cfg.Validate(); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) && ce.File == "" {
			ce.File = path
		}
		return err
	}
	if _, err := tlsConfigFor(cfg.TLS); err != nil {
		return err
	}
	if cfg.Target.BaseURL == "" {
		return &config.Error{File: path, Field: "target.base_url", Msg: "is not set; " + errNoTarget}
	}
	// The terminal's redaction boundary, as for run.
	stdout := reports.NewRedactingWriter(a.Stdout, probe.NewRedactor(cfg.Secrets()...))
	defer stdout.Close()
	a.Stdout = stdout
	enabled := 0
	skippedBy := map[string][]string{}
	for _, c := range suites.Catalogue() {
		missing := c.MissingFixtures(cfg)
		if len(missing) == 0 {
			enabled++
			continue
		}
		for _, key := range missing {
			skippedBy[key] = append(skippedBy[key], c.ID)
		}
	}
	total := len(suites.Catalogue())
	fmt.Fprintf(a.Stdout, "%s: valid. Target %s (timeout %s, gateway timeout %s). Nothing was sent.\n", path,
		redactURL(cfg.Target.BaseURL), cfg.Target.Timeout.Std(), cfg.Target.GatewayTimeout.Std())
	redactor := probe.NewRedactor(cfg.Secrets()...)
	keyHeader := "Authorization: Bearer <key>"
	if !cfg.Auth.BearerAuth() {
		keyHeader = cfg.Auth.Header + ": <key>"
	}
	fmt.Fprintf(a.Stdout, "The key travels as %s.\n", keyHeader)
	if len(cfg.Target.Headers) > 0 {
		fmt.Fprintln(a.Stdout, "Sent on every request (target.headers):")
		secret := cfg.SecretHeaders()
		names := make([]string, 0, len(cfg.Target.Headers))
		for name := range cfg.Target.Headers {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			value := redactor.String(cfg.Target.Headers[name])
			if _, ok := secret[cfg.Target.Headers[name]]; ok {
				value = probe.Redacted
			}
			fmt.Fprintf(a.Stdout, "  %s: %s\n", name, value)
		}
	}
	fmt.Fprintf(a.Stdout, "%d of %d cases enabled, %d skipped for want of fixtures.\n", enabled, total, total-enabled)
	keys := make([]string, 0, len(skippedBy))
	for key := range skippedBy {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		required := ""
		if cfg.Requires(key) {
			required = "  (required: these cases will FAIL)"
		}
		fmt.Fprintf(a.Stdout, "  fixtures.%-22s missing: %2d cases skipped: %s%s\n", key, len(skippedBy[key]), strings.Join(skippedBy[key], ", "), required)
	}
	return nil
}

// redactURL drops any query from a URL before printing it.
func redactURL(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}
