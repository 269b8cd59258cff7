package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/reports"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"
)

// WriteTextfile writes what g gathers to path in the text exposition
// format, for node_exporter's textfile collector (--collector.textfile.directory;
// the collector reads only names ending in .prom). The file is replaced
// atomically: written beside path under another name, then renamed, so the
// collector never reads half a file.
func WriteTextfile(path string, g prometheus.Gatherer) error {
	if err := prometheus.WriteToTextfile(path, g); err != nil {
		return fmt.Errorf("metrics: write textfile %s: %w", path, err)
	}
	return nil
}

// Push pushes the runs to the Pushgateway at url under the job "errconform"
// (Job), one push per run, grouped by its target, contract and tags: the
// grouping key {job="errconform", target=…, contract=…, <tag>=…} carries
// those labels, and each push carries only that run's series: runs of two
// targets (two --name) keep a group each. A push replaces
// the group's previous metrics (HTTP PUT), so a case that left the
// catalogue leaves the Pushgateway too. client, when not nil, sends the
// requests. Every group is pushed even when one fails; the errors are
// joined. ctx bounds the whole: once it is done, no further push starts.
//
// What a Pushgateway answers is read up to PushAnswerBytes, and an error
// quoting it is printable text (reports.Printable): a hostile or broken
// gateway can neither fill memory nor steer the terminal.
func Push(ctx context.Context, url string, runs []Run, client *http.Client) error {
	if url == "" {
		return errors.New("metrics: push: no Pushgateway URL")
	}
	seen := map[[2]string]int{}
	for i, run := range runs {
		key := [2]string{run.TargetName(), run.ContractName()}
		if j, dup := seen[key]; dup {
			return fmt.Errorf("metrics: push: runs %d and %d are both target %q under contract %q", j, i, key[0], key[1])
		}
		seen[key] = i
	}
	var errs []error
	for _, run := range runs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("metrics: push: %w", err))
			break
		}
		target, contract := run.TargetName(), run.ContractName()
		reg, err := groupRegistry(run)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p := push.New(url, Job).Grouping("target", target).Grouping("contract", contract)
		for k, v := range run.Tags() {
			p = p.Grouping(k, reports.Printable(v))
		}
		p = p.Gatherer(reg).Client(boundedClient(client))
		if err := p.PushContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("metrics: push target %q, contract %q to %s: %w", target, contract, config.WithoutUserinfo(url), printableError{err}))
		}
	}
	return errors.Join(errs...)
}

// PushAnswerBytes bounds how much of a Pushgateway's answer is read.
const PushAnswerBytes = 4 << 10

// boundedClient is client (http.DefaultClient when nil) with every
// response body cut to PushAnswerBytes.
func boundedClient(client *http.Client) *http.Client {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = boundedBodies{base}
	return &c
}

// boundedBodies cuts every response body to PushAnswerBytes.
type boundedBodies struct{ base http.RoundTripper }

func (b boundedBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, PushAnswerBytes), resp.Body}
	}
	return resp, err
}

// printableError is err with its text made printable (the push client
// quotes the gateway's answer in it); errors.Is and As still see err.
type printableError struct{ err error }

func (e printableError) Error() string { return reports.Printable(e.err.Error()) }
func (e printableError) Unwrap() error { return e.err }

// Handler serves the metrics of the runs latest returns, built anew on
// every request (for errconform monitor's /metrics): latest must be safe to
// call concurrently and return each (target, contract) once. A registry
// that cannot be built answers 500 with the reason. For monitor's own
// metrics too, serve promhttp.HandlerFor(prometheus.Gatherers{reg, own},
// …) with reg from Registry instead.
func Handler(latest func() []Run) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg, err := Registry(latest())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).ServeHTTP(w, r)
	})
}
