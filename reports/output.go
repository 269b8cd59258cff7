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

	"github.com/onsi/ginkgo/v2/types"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/spec"
)

// Input is everything a report format is rendered from.
type Input struct {
	Run      Run
	Ginkgo   types.Report
	Contract *spec.Contract
	// Fleet is a fleet's JSON report (FleetFormats render from it alone;
	// Run then only carries the Redactor).
	Fleet JSONReport
	// FleetRedacted says that every string of Fleet has been through the
	// run's Redactor (redact.Walk, each target's part as it finished):
	// what FleetFormats render from it then takes no second pass as a
	// whole document. Their templates add no text from anywhere else.
	FleetRedacted bool
	// Report is Run's JSON report, built once for every format rendered
	// from it (JSON, CTRF, HTML, Markdown); nil: each builds its own.
	Report *JSONReport
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

// jsonReport is the run's JSON report: Report, else built from Run.
func (in Input) jsonReport() JSONReport {
	if in.Report != nil {
		return *in.Report
	}
	return BuildJSON(in.Run)
}

// Format is one report format: its flag name and how it renders a run.
// Formats render to bytes only; Write is the one way a rendering reaches a
// file, through the run's Redactor, so that a format cannot bypass it.
type Format struct {
	Name string
	// Append adds to an existing file ($GITHUB_STEP_SUMMARY) instead of
	// replacing it.
	Append bool
	// ForPeople marks a document read as text (HTML, Markdown, and JUnit,
	// whose messages CI pages show): after
	// redaction it is made printable as a whole (PrintableLines), so that
	// no control character a target or a file supplied reaches a browser
	// or a summary raw, wherever a template placed it.
	ForPeople bool
	// FromFleet marks a format rendered from Input.Fleet alone
	// (FleetFormats).
	FromFleet bool
	Render    func(in Input) (string, error)
}

// Formats lists every report format, in the order they are written.
func Formats() []Format {
	return []Format{
		{Name: "junit", ForPeople: true, Render: func(in Input) (string, error) { return text(RenderJUnit(in.Ginkgo, in.Run)) }},
		{Name: "json", Render: func(in Input) (string, error) { return text(indentedJSON(in.jsonReport())) }},
		{Name: "ctrf", Render: func(in Input) (string, error) { return text(indentedJSON(buildCTRF(in.Run, in.jsonReport()))) }},
		{Name: "html", ForPeople: true, Render: func(in Input) (string, error) {
			return written(func(w io.Writer) error { return RenderHTML(w, in.jsonReport(), in.Contract) })
		}},
		{Name: "markdown", Append: true, ForPeople: true, Render: func(in Input) (string, error) {
			return written(func(w io.Writer) error { return RenderMarkdown(w, in.jsonReport(), in.Contract) })
		}},
	}
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

// Write renders the format and writes it to path, redacted as a whole by
// the run's Redactor: every field was redacted where it was built, and this
// last pass catches whatever a format quoted that was not. The credentials
// errconform crafted (no secrets) are kept, so that reproduction commands
// send exactly what the case sent.
func (f Format) Write(path string, in Input) error {
	rendered, err := f.redacted(in)
	if err != nil {
		return err
	}
	return f.WriteRendered(path, rendered)
}

// Rendered is the format's rendering of in after the redaction pass Write
// applies: what Write writes.
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
// report path of -), through the same redaction as Write.
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

// redacted is the rendering after the one redaction pass every report
// takes. Renderings are text, held once (a report of a thousand explore
// variants is megabytes; each copy of it counts in the run's peak memory).
func (f Format) redacted(in Input) (string, error) {
	rendered, err := f.Render(in)
	if err != nil {
		return "", fmt.Errorf("render %s report: %w", f.Name, err)
	}
	if in.abandoned() { // before the redaction pass, the longest step
		return "", ErrAbandoned
	}
	// nil: a merge of reports errconform wrote, redacted when they were;
	// a fleet's report redacted part by part is not redacted again.
	if in.Run.Redactor != nil && !(f.FromFleet && in.FleetRedacted) {
		rendered = in.Run.Redactor.StringKeeping(rendered, in.Run.craftedCredentials()...)
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
