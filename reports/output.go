package reports

import (
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
}

// Formats is the registry of report formats, in the order they are
// written: every command that writes reports (run, explore, merge)
// declares one flag per entry, and monitor refuses each by name. Adding a
// format is its renderer, its entry here and its test.
func Formats() []Format {
	return []Format{
		{Name: "junit", File: "junit.xml", Noun: "JUnit XML report", Article: "a", ForPeople: true,
			Render: func(in Input) (string, error) { return text(RenderJUnit(in.Report)) }},
		{Name: "json", File: "errconform.json", Noun: "JSON report", Article: "the", Note: "; errconform diff and --rerun-failed read it",
			Render: func(in Input) (string, error) { return text(reportJSON(in.Report, AsFleet(in.Report))) }},
		{Name: "ctrf", File: "ctrf-report.json", Noun: "CTRF JSON report", Article: "a",
			Render: func(in Input) (string, error) { return text(reportJSON(in.Report, BuildCTRF(in.Report))) }},
		{Name: "html", File: "report.html", Noun: "HTML report", Article: "the", ForPeople: true,
			Render: func(in Input) (string, error) {
				return written(func(w io.Writer) error { return RenderHTML(w, in.Report, in.Contract) })
			}},
		{Name: "markdown", File: "summary.md", Noun: "Markdown summary", Article: "a", PathNote: ", e.g. $GITHUB_STEP_SUMMARY", Append: true, ForPeople: true,
			Render: func(in Input) (string, error) {
				return written(func(w io.Writer) error { return RenderMarkdown(w, in.Report, in.Contract) })
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

// written is what render writes, as text.
func written(render func(io.Writer) error) (string, error) {
	var b strings.Builder
	err := render(&b)
	return b.String(), err
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
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if f.Append {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	out, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return fmt.Errorf("write %s report: %w", f.Name, err)
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
	rendered, err := f.Render(in)
	if err != nil {
		return "", fmt.Errorf("render %s report: %w", f.Name, err)
	}
	if in.abandoned() {
		return "", ErrAbandoned
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
