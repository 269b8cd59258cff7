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
// ctx bounds the writing: when the time left to its deadline is too
// short for the full reports (fullReportsFit), or once it is done (the
// run's --deadline passed, or it was interrupted), the reports still to
// be written, and those being rendered, are written compact
// (reports.JSONReport.Compact: complete and valid, without most evidence,
// quick to render); compact reports whether any was.
func writeRunReports(ctx context.Context, o runOptions, out fleetOutcome, contract *spec.Contract, stdout io.Writer) (compact bool, err error) {
	return writeFormatsWithin(ctx, o.reportPaths(), reports.Formats(), reports.Input{Report: out.report, Contract: contract, Specs: out.specs}, stdout)
}

// withDone is in abandoned once done is closed.
func withDone(in reports.Input, done <-chan struct{}) reports.Input {
	in.Done = done
	return in
}

// writeFormatsWithin is writeFormats bounded by ctx (writeRunReports).
// The level is chosen before anything is rendered: full when the time
// left to ctx's deadline holds fullReportsFit of the report's cases,
// else compact. The formats are rendered side by side, as many at once
// as the machine has processors; a format that streams (the JSON report)
// is written target by target, never held whole. A full rendering still
// running when ctx ends is abandoned (reports.ErrAbandoned: the templates
// stop at their next write, a stream at its next target) and rendered
// again compact, side by side with the others left.
//
// Its complexity (29) is that of one bounded fan-out: choosing the level,
// the workers, abandoning at the deadline and re-rendering compact share
// the channels and the per-format state, which split functions would have
// to pass between them.
func writeFormatsWithin(ctx context.Context, paths map[string]string, formats []reports.Format, in reports.Input, stdout io.Writer) (compact bool, err error) {
	var wanted []reports.Format
	for _, f := range formats {
		if paths[f.Name] != "" {
			wanted = append(wanted, f)
		}
	}
	if len(wanted) == 0 {
		return false, nil
	}
	restoreGC := withGCPercent(reportGCPercent)
	defer func() { restoreGC() }()
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
	// stream writes a format that streams (the JSON report, target by
	// target) as it renders it.
	stream := func(f reports.Format, in reports.Input) error {
		if paths[f.Name] == "-" {
			return f.StreamTo(stdout, in)
		}
		return f.WriteStreamed(paths[f.Name], in)
	}
	var errs []error
	late := wanted // rendered compact
	if ctx.Err() == nil && fullReportsFit(ctx, in.Report) {
		type rendering struct {
			f    reports.Format
			text string
			err  error
		}
		done := make(chan rendering, len(wanted))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		full := withDone(in, ctx.Done())
		streamed := 0
		for _, f := range wanted {
			if f.Stream != nil {
				streamed++
			}
		}
		go func() {
			for _, f := range wanted {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					done <- rendering{f: f, err: reports.ErrAbandoned}
					continue
				}
				go func() {
					defer func() { <-sem }()
					if f.Stream != nil {
						done <- rendering{f: f, err: stream(f, full)}
						return
					}
					text, err := f.Rendered(full)
					done <- rendering{f, text, err}
				}()
			}
		}()
		late = nil
		writtenFull := map[string]bool{}
		// Once ctx has ended, a streamed format is waited for (it stops at
		// its next target: it must, before its file is written again); a
		// rendering whole is left to end unseen.
		for received := 0; received < len(wanted) && (ctx.Err() == nil || streamed > 0); received++ {
			var r rendering
			select {
			case r = <-done:
			case <-ctx.Done():
				if streamed == 0 {
					continue
				}
				r = <-done
			}
			if r.f.Stream != nil {
				streamed--
			}
			switch {
			case errors.Is(r.err, reports.ErrAbandoned):
			case r.f.Stream != nil:
				errs = append(errs, r.err)
				writtenFull[r.f.Name] = true
			default:
				errs = append(errs, write(r.f, r.text, r.err))
				writtenFull[r.f.Name] = true
			}
		}
		for _, f := range wanted {
			if !writtenFull[f.Name] {
				late = append(late, f)
			}
		}
	}
	if len(late) > 0 {
		compact = true
		// The compact renderings keep the collector's own headroom: with a
		// fleet's parts live (hundreds of megabytes) a quarter of it made
		// them cost 1.6 times the processor time (measured on 256 targets:
		// 5.1 s against 3.2 s), when the run has least of it to spare.
		restoreGC()
		restoreGC = func() {}
		in.Report = in.Report.Compact()
		results := make([]error, len(late))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		var wg sync.WaitGroup
		for i, f := range late {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if f.Stream != nil {
					results[i] = stream(f, in)
					return
				}
				text, err := f.Rendered(in)
				results[i] = write(f, text, err)
			}()
		}
		wg.Wait()
		errs = append(errs, results...)
	}
	return compact, errors.Join(errs...)
}

// fullReportsFit reports whether the full reports of rep can be written
// before ctx's deadline (none: they can): the time left holds twice
// fullReportPerCase for each of its cases (twice: a loaded machine gives
// the run less than a processor).
func fullReportsFit(ctx context.Context, rep reports.JSONReport) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	cases := len(rep.Cases)
	for _, t := range rep.Targets {
		cases += len(t.Cases)
	}
	return time.Until(deadline) >= 2*time.Duration(cases)*fullReportPerCase
}

// fullReportPerCase is what rendering the five formats in full takes per
// case, of one processor: measured on a fleet of 256 targets of the full
// catalogue (54,016 cases, 5.4 s one format after another on an idle
// machine).
const fullReportPerCase = 100 * time.Microsecond

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
