package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/spec"
)

// Input is everything a report format is rendered from: the run's one
// JSON report (fleet-shaped: a single target is a fleet of one), every
// string of it redacted already (FleetOfOne, or a runner's parts redacted
// as each target finished, or a merge of reports errconform wrote), and
// the contract a single target was judged against (nil: the reports' own
// account of it).
type Input struct {
	Report   JSONReport
	Contract *spec.Contract
	// Specs are Ginkgo's specs of the run (nil: none, merge's report):
	// the JUnit report is theirs (RenderJUnit).
	Specs []Spec
	// Done, when not nil, abandons a rendering once it is closed: the
	// rendering then ends early with ErrAbandoned (a run cut short renders
	// its reports again, compact).
	Done <-chan struct{}
}

// ErrAbandoned is a rendering's error once its Input's Done is closed.
var ErrAbandoned = errors.New("report rendering abandoned")

// abandoned reports whether in's rendering is to end early.
func (in Input) abandoned() bool {
	if in.Done == nil {
		return false
	}
	select {
	case <-in.Done:
		return true
	default:
		return false
	}
}

// Format is one report format: its flag, the file name it is
// conventionally written to, and its renderer, which renders the run's
// JSON report (Input) to text. Write is the one way a rendering reaches a
// file.
type Format struct {
	// Name is the format's flag (--junit) and name.
	Name string
	// File is the file name the format is conventionally written to
	// (the examples', and the tests').
	File string
	// Noun is what the flag writes ("JUnit XML report"); Article comes
	// before it in run's help ("a", "the"); PathNote follows the path
	// (", e.g. $GITHUB_STEP_SUMMARY") and Note the help (the readers of
	// the JSON report).
	Noun, Article, PathNote, Note string
	// Append adds to an existing file ($GITHUB_STEP_SUMMARY) instead of
	// replacing it.
	Append bool
	// ForPeople marks a document read as text (HTML, Markdown, and JUnit,
	// whose messages CI pages show): it is made printable as a whole
	// (PrintableLines), so that no control character a target or a file
	// supplied reaches a browser or a summary raw, wherever a template
	// placed it.
	ForPeople bool
	Render    func(in Input) (string, error)
	// Stream, when not nil, writes what Render renders, the same bytes, to
	// w a piece at a time (a fleet's JSON target by target), without
	// holding the whole text; it ends with ErrAbandoned between pieces
	// once in's Done is closed.
	Stream func(w io.Writer, in Input) error
}

// Formats is the registry of report formats, in the order they are
// written: every command that writes reports (run, explore, merge)
// declares one flag per entry, and monitor refuses each by name. Adding a
// format is its renderer, its entry here and its test.
func Formats() []Format {
	return []Format{
		{Name: "junit", File: "junit.xml", Noun: "JUnit XML report", Article: "a", ForPeople: true,
			Render: func(in Input) (string, error) { return text(RenderJUnit(in.Report, in.Specs)) }},
		{Name: "json", File: "errconform.json", Noun: "JSON report", Article: "the", Note: "; errconform diff and --rerun-failed read it",
			Render: func(in Input) (string, error) { return text(reportJSON(in.Report, AsFleet(in.Report))) },
			Stream: streamReportJSON},
		{Name: "ctrf", File: "ctrf-report.json", Noun: "CTRF JSON report", Article: "a",
			Render: func(in Input) (string, error) { return text(reportJSON(in.Report, BuildCTRF(in.Report))) }},
		{Name: "html", File: "report.html", Noun: "HTML report", Article: "the", ForPeople: true,
			Render: func(in Input) (string, error) {
				return in.written(func(w io.Writer) error { return RenderHTML(w, in.Report, in.Contract) })
			}},
		{Name: "markdown", File: "summary.md", Noun: "Markdown summary", Article: "a", PathNote: ", e.g. $GITHUB_STEP_SUMMARY", Append: true, ForPeople: true,
			Render: func(in Input) (string, error) {
				return in.written(func(w io.Writer) error { return RenderMarkdown(w, in.Report, in.Contract) })
			}},
	}
}

// Help is the help of the format's flag: merged for errconform merge's.
func (f Format) Help(merged bool) string {
	verb := "write"
	if f.Append {
		verb = "append"
	}
	if merged {
		return fmt.Sprintf("%s the merged %s to `PATH` (- for standard output)", verb, f.Noun)
	}
	return fmt.Sprintf("%s %s %s to `PATH`%s (- for standard output)%s", verb, f.Article, f.Noun, f.PathNote, f.Note)
}

// WriteFormat writes the named format (junit, json, ctrf, html, markdown)
// to path.
func WriteFormat(name, path string, in Input) error {
	for _, f := range Formats() {
		if f.Name == name {
			return f.Write(path, in)
		}
	}
	return fmt.Errorf("no report format %q", name)
}

// text is a rendering as text: one copy of it (the templates' renderings
// are written as text in the first place, with none: written).
func text(data []byte, err error) (string, error) { return string(data), err }

// written is what render writes, as text. Once in's Done is closed every
// write fails with ErrAbandoned, and a template stops at its first failed
// write: an abandoned rendering does not keep a processor while the
// compact one runs.
func (in Input) written(render func(io.Writer) error) (string, error) {
	var b strings.Builder
	var w io.Writer = &b
	if in.Done != nil {
		w = abandonable{&b, in.Done}
	}
	err := render(w)
	if in.abandoned() {
		return "", ErrAbandoned
	}
	return b.String(), err
}

// abandonable is w until done is closed; then every write fails with
// ErrAbandoned.
type abandonable struct {
	w    io.Writer
	done <-chan struct{}
}

func (a abandonable) Write(p []byte) (int, error) {
	select {
	case <-a.done:
		return 0, ErrAbandoned
	default:
		return a.w.Write(p)
	}
}

func indentedJSON(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	return append(data, '\n'), err
}

// Write renders the format and writes it to path.
func (f Format) Write(path string, in Input) error {
	rendered, err := f.redacted(in)
	if err != nil {
		return err
	}
	return f.WriteRendered(path, rendered)
}

// Rendered is the format's rendering of in: what Write writes.
func (f Format) Rendered(in Input) (string, error) { return f.redacted(in) }

// WriteRendered writes a rendering (Rendered) to path.
func (f Format) WriteRendered(path, rendered string) error {
	out, err := f.create(path)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(out, rendered); err != nil {
		out.Close()
		return fmt.Errorf("write %s report: %w", f.Name, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s report: %w", f.Name, err)
	}
	return nil
}

// create opens path for the format's report: truncated, or appended to
// for a format that appends (the step summary).
func (f Format) create(path string) (*os.File, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if f.Append {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	out, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("write %s report: %w", f.Name, err)
	}
	return out, nil
}

// WriteStreamed writes the format to path as its Stream writes it (a
// format without one: Write), through a buffer: a report of hundreds of
// targets is never held whole. Abandoned (ErrAbandoned), the file holds
// part of the report until it is written again.
func (f Format) WriteStreamed(path string, in Input) error {
	if f.Stream == nil {
		return f.Write(path, in)
	}
	out, err := f.create(path)
	if err != nil {
		return err
	}
	if err := f.StreamTo(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s report: %w", f.Name, err)
	}
	return nil
}

// StreamTo writes the format to w as its Stream writes it (a format
// without one: rendered whole), through a buffer.
func (f Format) StreamTo(w io.Writer, in Input) error {
	if f.Stream == nil {
		rendered, err := f.redacted(in)
		if err != nil {
			return err
		}
		return f.WriteRenderedTo(w, rendered)
	}
	b := bufio.NewWriterSize(w, streamBuffer)
	err := f.Stream(b, in)
	if errors.Is(err, ErrAbandoned) {
		return err
	}
	if err == nil {
		err = b.Flush()
	}
	if err != nil {
		return fmt.Errorf("write %s report: %w", f.Name, err)
	}
	return nil
}

// streamBuffer is the buffer a streamed report is written through.
const streamBuffer = 1 << 20

// streamReportJSON writes the JSON format's rendering (reportJSON of the
// report as a fleet) to w target by target: the document around the
// targets, marshalled once with a placeholder target, is cut where the
// placeholder stands, and each target is marshalled alone, at the depth
// and with the separators the whole document gives it (JSON's encoding
// of a value does not depend on where it stands). Measured on 256
// targets (127 MB): 26 MB allocated instead of 525 MB.
func streamReportJSON(w io.Writer, in Input) error {
	rep := AsFleet(in.Report)
	indent := !in.Report.compact
	marshal := func(v any, prefix string) ([]byte, error) {
		if indent {
			return json.MarshalIndent(v, prefix, "  ")
		}
		return json.Marshal(v)
	}
	head, tail, ok, err := jsonAroundTargets(rep, marshal)
	if err != nil {
		return err
	}
	if !ok || len(rep.Targets) == 0 {
		data, err := reportJSON(in.Report, rep)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	sep := []byte(",")
	if indent {
		sep = []byte(",\n    ")
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	for i := range rep.Targets {
		if in.abandoned() {
			return ErrAbandoned
		}
		if i > 0 {
			if _, err := w.Write(sep); err != nil {
				return err
			}
		}
		data, err := marshal(&rep.Targets[i], "    ")
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	_, err = w.Write(append(tail, '\n'))
	return err
}

// jsonAroundTargets is the report's JSON before its targets' elements
// (head) and after them (tail); not ok if the placeholder target cannot
// be found exactly once (the report is then marshalled whole).
func jsonAroundTargets(rep JSONReport, marshal func(v any, prefix string) ([]byte, error)) (head, tail []byte, ok bool, err error) {
	shell := rep
	shell.Targets = []TargetReport{{}}
	whole, err := marshal(&shell, "")
	if err != nil {
		return nil, nil, false, err
	}
	elem, err := marshal(&TargetReport{}, "    ")
	if err != nil {
		return nil, nil, false, err
	}
	open, end := `"targets":[`, "]"
	if bytes.HasPrefix(whole, []byte("{\n")) {
		open, end = "\"targets\": [\n    ", "\n  ]"
	}
	placed := []byte(open + string(elem) + end)
	if bytes.Count(whole, placed) != 1 {
		return nil, nil, false, nil
	}
	at := bytes.Index(whole, placed) + len(open)
	return whole[:at], whole[at+len(elem):], true, nil
}

// WriteTo renders the format and writes it to w (standard output, for a
// report path of -), as Write writes it.
func (f Format) WriteTo(w io.Writer, in Input) error {
	rendered, err := f.redacted(in)
	if err != nil {
		return err
	}
	return f.WriteRenderedTo(w, rendered)
}

// WriteRenderedTo writes a rendering (Rendered) to w.
func (f Format) WriteRenderedTo(w io.Writer, rendered string) error {
	if _, err := io.WriteString(w, rendered); err != nil {
		return fmt.Errorf("write %s report to standard output: %w", f.Name, err)
	}
	return nil
}

// redacted is the rendering as written: the report was redacted when it
// was built, and a document for people is made printable as a whole.
// Renderings are text, held once (a report of a thousand explore variants
// is megabytes; each copy of it counts in the run's peak memory).
func (f Format) redacted(in Input) (string, error) {
	if in.abandoned() {
		return "", ErrAbandoned
	}
	rendered, err := f.Render(in)
	if in.abandoned() {
		return "", ErrAbandoned
	}
	if err != nil {
		return "", fmt.Errorf("render %s report: %w", f.Name, err)
	}
	if f.ForPeople {
		rendered = PrintableLines(rendered)
	}
	return rendered, nil
}

// xmlDocument is an XML header and the indented document.
func xmlDocument(v any) ([]byte, error) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// RedactingWriter redacts everything written to w, a line at a time, so
// that a secret is never split across two writes, and makes it printable
// (PrintableLines: nothing but newlines and tabs of control characters). Close writes what is
// left of an unfinished line.
type RedactingWriter struct {
	mu       sync.Mutex
	w        io.Writer
	redactor *redact.Redactor
	pending  []byte
}

// NewRedactingWriter wraps w.
func NewRedactingWriter(w io.Writer, r *redact.Redactor) *RedactingWriter {
	return &RedactingWriter{w: w, redactor: r}
}

// Write redacts and writes every complete line of p.
func (rw *RedactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.pending = append(rw.pending, p...)
	end := bytes.LastIndexByte(rw.pending, '\n')
	if end < 0 {
		if len(rw.pending) < 64<<10 {
			return len(p), nil
		}
		end = len(rw.pending) - 1 // a very long line goes out in parts
	}
	lines := string(rw.pending[:end+1])
	rw.pending = append(rw.pending[:0], rw.pending[end+1:]...)
	if _, err := io.WriteString(rw.w, PrintableLines(rw.redactor.String(lines))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes the rest of an unfinished line.
func (rw *RedactingWriter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.pending) == 0 {
		return nil
	}
	rest := strings.Clone(string(rw.pending))
	rw.pending = nil
	_, err := io.WriteString(rw.w, PrintableLines(rw.redactor.String(rest)))
	return err
}

// Bounds on the headers a report or the terminal shows of one message: a
// target's header block may be 64 KiB, and a report holds one per case.
const (
	headerValueBytes  = 256
	headerBlockValues = 48
)

// BoundedHeaders is h redacted, each value cut to headerValueBytes (on a
// character boundary, marked as cut, invalid UTF-8 replaced) and at most
// headerBlockValues values in all, by name; the rest are counted under the
// name "…".
func BoundedHeaders(r *redact.Redactor, h http.Header) http.Header {
	redacted := r.Header(h)
	names := make([]string, 0, len(redacted))
	for name := range redacted {
		names = append(names, name)
	}
	sort.Strings(names)
	out := http.Header{}
	shown, omitted := 0, 0
	for _, name := range names {
		for _, v := range redacted[name] {
			if shown == headerBlockValues {
				omitted++
				continue
			}
			shown++
			key := cutText(name, headerValueBytes)
			out[key] = append(out[key], cutText(v, headerValueBytes))
		}
	}
	if omitted > 0 {
		out["…"] = []string{fmt.Sprintf("%d more header values not shown", omitted)}
	}
	return out
}

// cutText is s as valid UTF-8, cut to n bytes on a character boundary and
// marked as cut.
func cutText(s string, n int) string { return check.Cut(strings.ToValidUTF8(s, "\uFFFD"), n) }
