package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
)

// Writing the reports: every format asked for, within the run's
// --deadline (compact when late), the one whose path is "-" to standard
// output.

// writeRunReports writes every report asked for, rendered from the run's
// JSON report (redacted part by part as each target finished: the
// reports' redaction boundary), the one whose path is "-" to stdout. A
// run of one target passes the contract it was judged against (the
// layout of its HTML and Markdown matrix).
//
// ctx bounds the writing: once it is done (the run's --deadline passed, or
// it was interrupted) the reports still to be written, and the one being
// rendered, are written compact (reports.JSONReport.Compact: complete and
// valid, without most evidence, quick to render); compact reports whether
// any was.
func writeRunReports(ctx context.Context, o runOptions, rep reports.JSONReport, contract *spec.Contract, stdout io.Writer) (compact bool, err error) {
	return writeFormatsWithin(ctx, o.reportPaths(), reports.Formats(), reports.Input{Report: rep, Contract: contract}, stdout)
}

// withDone is in abandoned once done is closed.
func withDone(in reports.Input, done <-chan struct{}) reports.Input {
	in.Done = done
	return in
}

// writeFormatsWithin is writeFormats bounded by ctx (writeRunReports):
// a format still rendering when ctx ends is rendered again compact (the
// first rendering is left to finish unseen), and so is every later one;
// the compact ones are rendered side by side, as many at once as the
// machine has processors (they are what a run out of time writes).
func writeFormatsWithin(ctx context.Context, paths map[string]string, formats []reports.Format, in reports.Input, stdout io.Writer) (compact bool, err error) {
	for _, f := range formats {
		if paths[f.Name] != "" {
			defer withGCPercent(reportGCPercent)()
			break
		}
	}
	var errs []error
	write := func(f reports.Format, text string, err error) error {
		path := paths[f.Name]
		switch {
		case err != nil:
			return err
		case path == "-":
			return f.WriteRenderedTo(stdout, text)
		default:
			return f.WriteRendered(path, text)
		}
	}
	var late []reports.Format // rendered compact
	for _, f := range formats {
		if paths[f.Name] == "" {
			continue
		}
		if compact || ctx.Err() != nil {
			compact = true
			late = append(late, f)
			continue
		}
		type rendering struct {
			text string
			err  error
		}
		done := make(chan rendering, 1)
		go func(in reports.Input) {
			text, err := f.Rendered(in)
			done <- rendering{text, err}
		}(withDone(in, ctx.Done()))
		select {
		case r := <-done:
			errs = append(errs, write(f, r.text, r.err))
		case <-ctx.Done():
			compact = true
			late = append(late, f)
		}
	}
	if compact {
		in.Report = in.Report.Compact()
		results := make([]error, len(late))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		var wg sync.WaitGroup
		for i, f := range late {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				text, err := f.Rendered(in)
				results[i] = write(f, text, err)
			}()
		}
		wg.Wait()
		errs = append(errs, results...)
	}
	return compact, errors.Join(errs...)
}

// writeFormats writes each format whose path is given (a failed one does
// not stop the others).
//
// A report of a thousand explore variants is megabytes, and rendering it
// and redacting it as a whole holds a few copies of it at once, garbage a
// moment later; with the garbage collector's default headroom (the heap
// may double before it collects) that made the run's peak memory. While
// the reports are written the collector runs at a quarter of that
// headroom: measured on explore over every field deep writing all five
// reports, 56 MiB of peak RSS instead of 64, for 0.2 s more CPU.
func writeFormats(paths map[string]string, formats []reports.Format, in reports.Input, stdout io.Writer) error {
	_, err := writeFormatsWithin(context.Background(), paths, formats, in, stdout)
	return err
}

// reportGCPercent is the garbage collector's headroom while reports are
// written (GOGC's 100 is its default).
const reportGCPercent = 25

// withGCPercent lowers the garbage collector's headroom to percent, unless
// GOGC asks for less (or for no collection at all), and returns what
// restores it.
func withGCPercent(percent int) (restore func()) {
	old := debug.SetGCPercent(percent)
	if old < percent {
		debug.SetGCPercent(old) // GOGC's own choice is kept
	}
	return func() { debug.SetGCPercent(old) }
}

// printFleetSummary prints one line per target and the fleet's total.
func printFleetSummary(w io.Writer, out fleetOutcome, elapsed time.Duration) {
	fmt.Fprintln(w)
	for _, t := range out.report.Targets {
		s := t.Summary
		line := fmt.Sprintf("  %-24s %d cases, %s: %d passed, %d failed, %d warned, %d skipped, %d errored", t.Name, s.Total, s.JudgedText(), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored)
		if t.Outcome != reports.OutcomeCompleted {
			line += "  [" + t.Outcome + "]"
		}
		if t.TargetBroke != nil {
			line += "  [TARGET BROKE DURING THE RUN: " + t.TargetBroke.Cause + "]"
		}
		if s.NothingJudged() && t.NotTestable == nil {
			line += "  [nothing judged beyond the positive controls: not green]"
		}
		fmt.Fprintln(w, line)
	}
	s := out.report.Summary
	fmt.Fprintf(w, "%d targets, %d cases in %s, %s: %d passed, %d failed, %d warned, %d skipped, %d errored\n", len(out.report.Targets), s.Total,
		elapsed.Round(time.Millisecond), s.JudgedText(), s.Passed, s.Failed, s.Warned, s.Skipped, s.Errored)
	printWaived(w, out.report.WaivedFailures())
}
