package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
	"github.com/errconform/errconform/redact"
	"github.com/errconform/errconform/reports"
	"github.com/errconform/errconform/spec"
	"github.com/errconform/errconform/suites"
)

// contractCheck is "errconform contract check FILE": the contract loaded
// and checked as run --contract FILE would, described without sending
// anything.
func (a App) contractCheck(path string) error {
	if strings.TrimSpace(path) == "" {
		return usagef("contract check: FILE is empty (errconform contract check FILE)")
	}
	contract, err := loadContract(path)
	if err != nil {
		return usageError{err}
	}
	cases, err := suites.For(contract)
	if err != nil {
		return usageError{err}
	}
	covered := 0
	for _, c := range cases {
		if c.NotInContract == "" {
			covered++
		}
	}
	// Every name and reason here is the file's text: printable only.
	fmt.Fprintf(a.Stdout, "%s: valid. Contract %s.\n", reports.Printable(path), reports.Printable(contract.Label()))
	fmt.Fprintf(a.Stdout, "Error members: %s", reports.Printable(strings.Join(contract.ErrorFields, ", ")))
	if len(contract.EqualsStatus) > 0 {
		fmt.Fprintf(a.Stdout, " (%s: the HTTP status as a number)", reports.Printable(strings.Join(contract.EqualsStatus, ", ")))
	}
	fmt.Fprintf(a.Stdout, "; OpenAI SDK compatible: %t.\n", contract.OpenAICompatible)
	statuses := make([]string, 0, len(contract.Statuses))
	for _, s := range contract.Statuses {
		statuses = append(statuses, fmt.Sprintf("%d", s.Status))
	}
	fmt.Fprintf(a.Stdout, "Statuses: %s. Codes: %d.\n", strings.Join(statuses, ", "), len(contract.Codes))
	var notIn []string
	for _, s := range suites.Situations() {
		if o := contract.Outcome(s.Name); !o.Covered() {
			notIn = append(notIn, fmt.Sprintf("%s (%s)", s.Name, o.NotInContract))
		}
	}
	sort.Strings(notIn)
	fmt.Fprintf(a.Stdout, "%d of the catalogue's %d cases are in it; situations not in it: %d.\n", covered, len(cases), len(notIn))
	for _, s := range notIn {
		fmt.Fprintf(a.Stdout, "  %s\n", reports.Printable(s))
	}
	return nil
}

// contractShow is "errconform contract show": the document of the
// contract run would use (--contract, ERRCONFORM_CONTRACT, the config
// file's contract:, the default, as openContract resolves it; fs holds
// the parsed flags, op the values they were parsed into), after a
// comment line naming it and where the choice came from.
func (a App) contractShow(fs *pflag.FlagSet, op *runOptions) error {
	settings, err := config.FlagSettings(fs, a.LookupEnv, envOf)
	if err != nil {
		return asUsage(err)
	}
	set := settingsSet(settings)
	o := *op // with the environment applied
	if o.configFile, err = a.findConfig(o, set); err != nil {
		return err
	}
	var cfg config.Config
	if o.configFile != "" {
		if cfg, err = config.Load(o.configFile, a.LookupEnv); err != nil {
			return err
		}
	}
	contract, source, err := openContract(o, settings, cfg)
	if err != nil {
		return err
	}
	from := "the default"
	switch source.Kind {
	case config.FromFlag:
		from = "--contract"
	case config.FromEnv:
		from = source.Name
	case config.FromFile:
		from = "contract: in " + o.configFile
	}
	fmt.Fprintf(a.Stdout, "# errconform contract %s, chosen by %s\n", contract.Label(), from)
	_, err = a.Stdout.Write(contract.Raw())
	return err
}

// docFile is one generated document: its path under the docs directory
// and what writes it.
type docFile struct {
	path  string
	write func(a App) error
}

// generatedDocs lists every generated document: the command reference,
// and per built-in contract its cases and its rules.
func generatedDocs(root *cobra.Command) []docFile {
	docs := []docFile{{"cli.md", func(a App) error { return writeCLIMarkdown(a.Stdout, root) }}}
	for _, name := range spec.BuiltinNames() {
		docs = append(docs,
			docFile{filepath.Join(name, "cases.md"), func(a App) error { return a.list(listOptions{format: "markdown", contract: name}) }},
			docFile{filepath.Join(name, "rules.md"), func(a App) error { return a.list(listOptions{format: "markdown", contract: name, rules: true}) }},
		)
	}
	return docs
}

// writeDocs writes every generated document under dir.
func writeDocs(dir string, root *cobra.Command) error {
	for _, doc := range generatedDocs(root) {
		var b strings.Builder
		if err := doc.write(App{Stdout: &b, Stderr: &b, LookupEnv: func(string) (string, bool) { return "", false }}); err != nil {
			return fmt.Errorf("generate %s: %w", doc.path, err)
		}
		path := filepath.Join(dir, doc.path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("generate %s: %w", doc.path, err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("generate %s: %w", doc.path, err)
		}
	}
	return nil
}

// contractInitOptions are contract init's flags.
type contractInitOptions struct {
	target, base, apiKey, out, name string
	headers                         []string
	timeout                         time.Duration
}

// routeProbe is what a target answered to the cheapest request of one
// route: a request that should not answer 404 where the route is served.
type routeProbe struct {
	method, path string
	status       int
	failure      string // a transport failure, or ""
}

// served reports whether the answer says the target serves the route:
// anything but 404, 405 or a transport failure.
func (p routeProbe) served() bool {
	return p.failure == "" && p.status != http.StatusNotFound && p.status != http.StatusMethodNotAllowed
}

// refused reports whether the target refused the credential instead of
// saying anything of the route.
func (p routeProbe) refused() bool {
	return p.status == http.StatusUnauthorized || p.status == http.StatusForbidden
}

// probeBody is the JSON body every route's probe sends: one every route
// refuses (a model that is not a string), so that nothing is ever
// generated, yet a JSON object a gateway passes on to its upstream (an
// empty body is refused by some gateways before they route it, whatever
// the path: Portkey answers 500 to any).
const probeBody = `{"model": 0}`

// probeRoutes sends each known route's cheapest request: POST with a body
// every route refuses (JSON, or a multipart form of no part) to every
// POST route of the OpenAI surface, GET /models; with the key, where one
// is given.
func probeRoutes(ctx context.Context, client *probe.Client, key string) []routeProbe {
	var probes []routeProbe
	send := func(method, path, contentType string) {
		r := probe.Request{Method: method, Path: path, Header: http.Header{}}
		switch {
		case contentType == spec.MediaJSON:
			r.Body = []byte(probeBody)
		case contentType != "":
			r.Body = []byte{}
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if key != "" {
			r.Header.Set("Authorization", "Bearer "+key)
			r.Credential = key
		}
		ex := client.Do(ctx, r)
		p := routeProbe{method: method, path: path}
		switch {
		case ex.Failure != probe.FailureNone:
			p.failure = string(ex.Failure)
		case ex.Response != nil:
			p.status = ex.Response.Status
		}
		probes = append(probes, p)
	}
	for _, path := range spec.SurfacePaths() {
		contentType := spec.MediaJSON
		if slices.Contains([]string{spec.PathFiles, spec.PathAudioTranscriptions}, path) {
			contentType = spec.MediaMultipart + "; boundary=errconform-probe"
		}
		send(http.MethodPost, path, contentType)
	}
	send(http.MethodGet, "/models", "")
	return probes
}

// servedPaths are the paths of a contract for the routes a target
// served: each served POST route, and the base contract's paths that go
// with a served route (/models/{model} with /models, a file's routes with
// POST /files).
func servedPaths(probes []routeProbe, base *spec.Contract) []string {
	var paths []string
	withServed := map[string][]string{
		"/models":      {"/models", "/models/{model}"},
		spec.PathFiles: {"/files/{file_id}", "/files/{file_id}/content"},
	}
	for _, p := range probes {
		if !p.served() {
			continue
		}
		if p.method == http.MethodPost {
			paths = append(paths, p.path)
		}
		for _, other := range withServed[p.path] {
			if base.HasOperation(http.MethodGet, other) || base.HasOperation(http.MethodDelete, other) {
				paths = append(paths, other)
			}
		}
	}
	return paths
}

// contractInit is "errconform contract init --from-target URL": the
// routes the target serves, found by probing each known route, written
// as a contract whose paths are those routes and whose tables are the
// base contract's, for the provider to review and commit.
func (a App) contractInit(ctx context.Context, o contractInitOptions) error {
	if strings.TrimSpace(o.target) == "" {
		return usagef("contract init: --from-target URL is required (the target's base URL, e.g. https://api.example.com/v1)")
	}
	base, err := loadContract(o.base)
	if err != nil {
		return usagef("contract init --base %s: %v", o.base, err)
	}
	if o.apiKey == "" {
		o.apiKey, _ = a.LookupEnv("ERRCONFORM_API_KEY")
	}
	header := http.Header{}
	for _, h := range o.headers {
		name, value, err := config.SplitHeader(h)
		if err != nil {
			return usagef("contract init --header: %v", err)
		}
		header.Add(name, value)
	}
	client, err := probe.New(probe.Options{BaseURL: o.target, Timeout: o.timeout, MaxRequests: int64(len(spec.SurfacePaths()) + 1), Header: header})
	if err != nil {
		return usagef("contract init --from-target: %v", err)
	}
	defer client.Close()
	red := redact.New(o.apiKey)
	target := config.WithoutUserinfo(o.target)
	fmt.Fprintf(a.Stderr, "errconform: which known routes %s serves (a body each refuses; 404 or 405: not served):\n", reports.Printable(red.String(target)))
	probes := probeRoutes(ctx, client, o.apiKey)
	served, refused, failed := 0, 0, 0
	for _, p := range probes {
		what := fmt.Sprintf("%d", p.status)
		switch {
		case p.failure != "":
			what, failed = "no answer ("+p.failure+")", failed+1
		case p.served():
			served++
			what += ": served"
		default:
			what += ": not served"
		}
		if p.refused() {
			refused++
		}
		fmt.Fprintf(a.Stderr, "  %-6s %-22s %s\n", p.method, p.path, what)
	}
	switch {
	case failed == len(probes):
		return exitError{code: ExitUnreachable, err: fmt.Errorf("contract init: %s answered no request", reports.Printable(red.String(target)))}
	case refused == len(probes):
		return exitError{code: ExitUnreachable, err: fmt.Errorf("contract init: %s refused the credential on every route (401/403), so its routes cannot be told apart; give its key (--api-key or ERRCONFORM_API_KEY)", reports.Printable(red.String(target)))}
	case served == 0:
		return exitError{code: ExitUnreachable, err: fmt.Errorf("contract init: %s serves none of the known routes (each answered 404 or 405): check the base URL (it usually ends in /v1)", reports.Printable(red.String(target)))}
	}
	paths := servedPaths(probes, base)
	doc, err := initContractDocument(base, paths, o.name, red.String(target))
	if err != nil {
		return err
	}
	if o.out == "" || o.out == "-" {
		_, err = a.Stdout.Write(doc)
		return err
	}
	if err := os.WriteFile(o.out, doc, 0o644); err != nil {
		return fmt.Errorf("contract init: write %s: %w", o.out, err)
	}
	var routes []string
	for _, p := range paths {
		if slices.Contains(spec.SurfacePaths(), p) {
			routes = append(routes, p)
		}
	}
	fmt.Fprintf(a.Stdout, "errconform: wrote %s: contract %s with the routes %s serves (%s), the tables of %s. Review it, then: errconform contract check %s\n",
		reports.Printable(o.out), reports.Printable(contractName(base, o.name)), reports.Printable(red.String(target)), strings.Join(routes, ", "),
		reports.Printable(base.Label()), reports.Printable(o.out))
	return nil
}

// contractName is the written contract's name: --name, else the base's.
func contractName(base *spec.Contract, name string) string {
	if name != "" {
		return name
	}
	return base.Name
}

// initContractDocument is the contract contract init writes, as YAML: the
// base contract's document with exactly these paths, its name and source
// saying where it comes from; checked as contract check would.
func initContractDocument(base *spec.Contract, paths []string, name, target string) ([]byte, error) {
	doc, err := spec.WithPaths(base.Raw(), paths...)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("contract init: %w", err)
	}
	if ext, ok := root[spec.ContractExtension].(map[string]any); ok {
		ext["name"] = contractName(base, name)
		ext["source"] = fmt.Sprintf("errconform contract init: the routes %s served, with the tables of the contract %s", target, base.Label())
	}
	if doc, err = json.Marshal(root); err != nil {
		return nil, fmt.Errorf("contract init: %w", err)
	}
	contract, err := spec.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("contract init: the written contract does not load: %w", err)
	}
	if err := suites.CheckContract(contract); err != nil {
		return nil, fmt.Errorf("contract init: %w", err)
	}
	out, err := yaml.JSONToYAML(doc)
	if err != nil {
		return nil, fmt.Errorf("contract init: %w", err)
	}
	header := fmt.Sprintf("# Written by errconform contract init from the routes %s serves, with the tables of the contract %s.\n"+
		"# Its paths are the routes the target answered other than 404 or 405; review them and the tables, then commit it.\n", target, base.Label())
	return append([]byte(header), out...), nil
}

// contractInitCmd is "errconform contract init".
func (a App) contractInitCmd() *cobra.Command {
	o := contractInitOptions{timeout: 30 * time.Second}
	cmd := &cobra.Command{
		Use:   "init --from-target URL [flags]",
		Short: "Write a contract listing the routes a target serves",
		Long: `init probes which of the known routes a target serves and writes a contract
whose paths are those routes, starting from a base contract's tables (--base:
a built-in name or a contract file; default ` + spec.DefaultContract + `), for the provider to
review and commit. Each POST route of OpenAI's surface (chat completions,
completions, embeddings, responses, moderations, image generations, speech,
transcriptions, batches, files) gets the cheapest request that should not
answer 404: a body every route refuses ({"model": 0}, or an empty form), with
the key (--api-key, or ERRCONFORM_API_KEY) and any --header (a gateway's
routing headers); GET /models likewise. A 404 or 405 means the route is absent; any other answer
means it is served. A target that refuses the key on every route, answers
nothing or serves none of them exits 3.

The contract goes to --out (standard output by default); errconform contract
check accepts it, and run --contract FILE judges the cases of its routes. A
route the target does not serve is never a failure unless the contract lists
it.`,
		Example: `  errconform contract init --from-target https://api.example.com/v1 --out example.yaml
  ERRCONFORM_API_KEY=sk-... errconform contract init --from-target http://127.0.0.1:8787/v1 --base openrouter --out gw.yaml
  errconform contract check example.yaml`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: ranErr(func(cmd *cobra.Command, _ []string) error {
			return a.contractInit(cmd.Context(), o)
		}),
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&o.target, "from-target", "", "the target's base `URL` (ending in /v1, usually)")
	fs.StringVar(&o.base, "base", "", "the `CONTRACT` whose tables the written one takes: a built-in name ("+strings.Join(spec.BuiltinNames(), ", ")+") or a contract file's path (default "+spec.DefaultContract+")")
	fs.StringVar(&o.apiKey, "api-key", "", "the target's API `KEY`, sent as a Bearer token"+envSuffix("ERRCONFORM_API_KEY"))
	fs.Lookup("api-key").Annotations = map[string][]string{envAnnotation: {"ERRCONFORM_API_KEY"}}
	fs.StringArrayVar(&o.headers, "header", nil, "send the header `\"NAME: VALUE\"` with every probe (a gateway's routing headers); repeatable")
	fs.StringVar(&o.out, "out", "", "write the contract to `FILE` (default: standard output)")
	fs.StringVar(&o.name, "name", "", "the written contract's `NAME` (default: the base contract's)")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "how long each probe waits for its answer")
	_ = cmd.MarkFlagFilename("out", "yaml", "yml")
	completeContract(cmd)
	return cmd
}
