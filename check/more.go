package check

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/errconform/errconform/redact"
)

func checkRetryAfter(in *input) []Finding {
	if in.resp == nil || in.resp.Status != http.StatusTooManyRequests || in.midStream {
		return nil
	}
	v := strings.TrimSpace(in.resp.Header.Get("Retry-After"))
	if v == "" {
		return []Finding{{Expected: "Retry-After: <seconds> or an HTTP date", Actual: "no Retry-After header",
			Message: "a 429 without Retry-After leaves clients to guess when to retry"}}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return nil
	}
	if _, err := http.ParseTime(v); err == nil {
		return nil
	}
	return []Finding{{Expected: "Retry-After: <seconds> or an HTTP date", Actual: fmt.Sprintf("%q", v),
		Message: fmt.Sprintf("Retry-After %q is neither a number of seconds nor an HTTP date", v)}}
}

func checkTimeout(in *input) []Finding {
	if in.expect.Status != in.contract.Rules.TimeoutStatus || in.expect.GatewayTimeout <= 0 {
		return nil
	}
	limit := in.expect.GatewayTimeout + in.expect.GatewaySlack
	switch {
	case in.resp == nil && in.ex.Failure == "timeout":
		return []Finding{{Expected: fmt.Sprintf("a %d within %s", in.expect.Status, limit), Actual: "no response before errconform's request timeout",
			Message: fmt.Sprintf("no %d arrived before errconform gave up after %s; the contract's gateway timeout is %s", in.expect.Status, in.ex.Duration.Round(time.Millisecond), in.expect.GatewayTimeout)}}
	case in.resp != nil && in.ex.Duration > limit:
		return []Finding{{Expected: fmt.Sprintf("within %s (gateway timeout %s + %s slack)", limit, in.expect.GatewayTimeout, in.expect.GatewaySlack),
			Actual: in.ex.Duration.Round(time.Millisecond).String(),
			Message: fmt.Sprintf("the %d took %s, longer than the gateway timeout %s plus %s slack", in.resp.Status,
				in.ex.Duration.Round(time.Millisecond), in.expect.GatewayTimeout, in.expect.GatewaySlack)}}
	}
	return nil
}

func checkNoStream(in *input) []Finding {
	if !in.expect.Stream || in.resp == nil || in.midStream {
		return nil
	}
	ct := strings.ToLower(in.resp.Header.Get("Content-Type"))
	body := strings.TrimSpace(string(in.resp.Body))
	if strings.HasPrefix(ct, "text/event-stream") || strings.HasPrefix(body, "data:") || strings.HasPrefix(body, "event:") {
		return []Finding{{Expected: "a plain JSON error", Actual: fmt.Sprintf("an event stream (Content-Type %q)", in.resp.Header.Get("Content-Type")),
			Message: "an error to a stream: true request came as a server-sent event stream; clients expect a JSON error before any stream starts"}}
	}
	return nil
}

// checkNoSecretEcho looks for the credential the request sent in the body,
// every header name and value, in any form the redactor knows: whole, in
// part (8 characters or more), case-changed, encoded or rearranged.
func checkNoSecretEcho(in *input) []Finding {
	secret := echoSecret(in.ex.Request.Credential)
	if in.resp == nil || len(secret) < 8 {
		return nil
	}
	var detector *redact.Redactor
	if in.expect.Detectors != nil {
		detector = in.expect.Detectors.For(secret)
	} else {
		detector = redact.New(secret)
	}
	var where []string
	if form, found := detector.Find(string(in.resp.Body)); found {
		where = append(where, fmt.Sprintf("the body (%s)", form))
	}
	names := make([]string, 0, len(in.resp.Header))
	for name := range in.resp.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if form, found := detector.Find(name); found {
			where = append(where, fmt.Sprintf("a header name (%s)", form))
		}
		for _, v := range in.resp.Header[name] {
			if form, found := detector.Find(v); found {
				where = append(where, fmt.Sprintf("header %s (%s)", quoteBounded(detector.String(name)), form))
			}
		}
	}
	if len(where) == 0 {
		return nil
	}
	return []Finding{{Expected: "the credential never echoed", Actual: "echoed in " + strings.Join(where, ", "),
		Message: fmt.Sprintf("the credential the request sent appears in %s (value withheld here)", strings.Join(where, ", "))}}
}

// echoSecret is the part of a credential whose echo gives it away: a JWT's
// signature (its header and claims are errconform's own, and every HS256
// JWT's header is the same), the second half of its claims when it has no
// signature, else a key after its type prefix (redact.KeyPrefix: "sk-proj-"
// is every key's, and a masked echo such as "sk-proj-****VwXy" shows it).
func echoSecret(credential string) string {
	if parts := strings.Split(credential, "."); len(parts) == 3 && strings.HasPrefix(credential, "eyJ") {
		if len(parts[2]) >= 8 {
			return parts[2]
		}
		return parts[1][len(parts[1])/2:]
	}
	return credential[len(redact.KeyPrefix(credential)):]
}

// leakPatterns are internals an error message must not expose. Each has a
// hint: a cheap test that every match passes (a substring its every
// alternative needs), so that the regular expression runs only on text
// that may match. Ordinary messages pass no hint and cost no regexp time.
var leakPatterns = []struct {
	what string
	re   *regexp.Regexp
	hint func(text, lower string) bool
}{
	{"an internal URL", regexp.MustCompile(`(?i)\b(https?|grpc|tcp)://[^\s"'<>]+`),
		func(t, _ string) bool { return strings.Contains(t, "://") }},
	{"an internal address", regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(:\d+)?\b|\[[0-9a-fA-F:]+\]:\d+`),
		func(t, _ string) bool { return digitDotDigit(t) || strings.Contains(t, "]:") }},
	{"a Go stack trace", regexp.MustCompile(`goroutine \d+ \[|panic: |\.go:\d+`),
		func(t, _ string) bool { return containsAny(t, "goroutine ", "panic: ", ".go:") }},
	{"a Python traceback", regexp.MustCompile(`Traceback \(most recent call last\)|File "[^"]+", line \d+`),
		func(t, _ string) bool { return containsAny(t, "Traceback (", `File "`) }},
	{"a Java or .NET stack trace", regexp.MustCompile(`\bat [\w$.]+\([\w.]*:\d+\)|\bat [\w.]+\.[\w<>]+\(.*\) in |Exception:|\w+(Exception|Error): [\w.]+\.[\w.]+`),
		func(t, _ string) bool { return containsAny(t, "at ", "Exception:", "Error: ") }},
	{"a Node.js stack trace", regexp.MustCompile(`\bat .+ \(.+\.js:\d+:\d+\)|node:internal`),
		func(t, _ string) bool { return containsAny(t, ".js:", "node:internal") }},
	{"the server's JSON decoder text", regexp.MustCompile(`json: cannot unmarshal|invalid character '.' (looking for|after)|unexpected end of JSON input|JSONDecodeError|Unexpected token .* in JSON`),
		func(t, _ string) bool {
			return containsAny(t, "json: cannot unmarshal", "invalid character '", "unexpected end of JSON input", "JSONDecodeError", "Unexpected token")
		}},
	{"a network error of the server", regexp.MustCompile(`(?i)\bdial tcp\b|connect: connection refused|ECONNREFUSED|no such host`),
		func(_, l string) bool {
			return containsAny(l, "dial tcp", "connect: connection refused", "econnrefused", "no such host")
		}},
}

func containsAny(text string, subs ...string) bool {
	for _, s := range subs {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// digitDotDigit reports whether text holds a digit, a dot and a digit in a
// row: what every dotted address starts with.
func digitDotDigit(text string) bool {
	for i := 0; i+2 < len(text); i++ {
		if text[i+1] == '.' && isDigit(text[i]) && isDigit(text[i+2]) {
			return true
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// checkNoInternalLeak scans every string in the body (not only
// error.message: gateways put upstream details in fields of their own) and
// every response header value.
func checkNoInternalLeak(in *input) []Finding {
	if in.resp == nil {
		return nil
	}
	var findings []Finding
	seen := map[string]bool{}
	budget := maxLeakScanBytes
	report := func(where, pointer, text string) {
		text = text[:runeCut(text, max(0, min(len(text), maxLeakScanPerString, budget)))]
		budget -= len(text)
		lower := strings.ToLower(text)
		for _, p := range leakPatterns {
			if !p.hint(text, lower) {
				continue
			}
			m := p.re.FindString(text)
			if p.what == "an internal address" {
				m = internalAddress(p.re, text)
			}
			if m == "" || (p.what == "an internal URL" && !internalURL(m)) {
				continue // a public link, e.g. to documentation
			}
			if key := p.what + "\x00" + m; !seen[key] {
				seen[key] = true
				findings = append(findings, Finding{Expected: "no internals in an error", Actual: quoteBounded(m), Pointer: pointer,
					Message: fmt.Sprintf("%s exposes %s: %s", where, p.what, quoteBounded(m))})
			}
		}
	}
	if in.jsonProblem == "" {
		walkStrings(in.document, "", 0, func(pointer, text string) {
			where := "the body field " + pointer
			if pointer == "/error/message" {
				where = "the message"
			}
			report(where, pointer, text)
		})
	} else {
		report("the body", "", string(in.resp.Body))
	}
	names := make([]string, 0, len(in.resp.Header))
	for name := range in.resp.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if standardHeader(name) {
			continue // a cookie's or a CDN's numbers, a version, a policy's URLs
		}
		for _, v := range in.resp.Header[name] {
			report("the header "+name, "", v)
		}
	}
	return findings
}

// The leak scan reads at most maxLeakScanPerString bytes of each string
// and maxLeakScanBytes in all: an error's internals show early, and a
// hostile megabyte-long string must not cost a second of regexp time.
const (
	maxLeakScanPerString = 16 << 10
	maxLeakScanBytes     = 128 << 10
)

// maxWalkDepth and maxWalkStrings bound the walk over a hostile document.
const (
	maxWalkDepth   = 32
	maxWalkStrings = 4096
)

// walkStrings calls visit with the JSON pointer of every string in v, in a
// stable order, up to maxWalkStrings strings and maxWalkDepth levels.
func walkStrings(v any, pointer string, visited int, visit func(pointer, text string)) int {
	if visited >= maxWalkStrings {
		return visited
	}
	switch x := v.(type) {
	case string:
		visit(pointer, x)
		return visited + 1
	case map[string]any:
		if strings.Count(pointer, "/") >= maxWalkDepth {
			return visited
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			visited = walkStrings(x[k], pointer+"/"+escapePointer(k), visited, visit)
		}
	case []any:
		if strings.Count(pointer, "/") >= maxWalkDepth {
			return visited
		}
		for i, item := range x {
			visited = walkStrings(item, fmt.Sprintf("%s/%d", pointer, i), visited, visit)
		}
	}
	return visited
}

func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// quoteBounded quotes a value for a finding, cut to QuoteBound bytes.
func quoteBounded(v string) string {
	if len(v) <= QuoteBound {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q… (cut: %d bytes in all)", v[:runeCut(v, QuoteBound)], len(v))
}

// checkSingleMember: the contract's shape is the single error object; a
// gateway's own members beside it ("provider": "openai") are worth a word.
func checkSingleMember(in *input) []Finding {
	doc, ok := in.document.(map[string]any)
	if !ok || in.errorObject == nil || len(doc) == 1 || in.midStream {
		// A mid-stream error rides in an event or a completion that has
		// members of its own (id, object, choices).
		return nil
	}
	var extra []string
	for k := range doc {
		if k != "error" {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 8 {
		extra = append(extra[:8], fmt.Sprintf("and %d more", len(extra)-8))
	}
	shown := quoteBounded(strings.Join(extra, ", "))
	return []Finding{{Expected: `only "error" at the top level`, Actual: shown, Pointer: "",
		Message: fmt.Sprintf("the body carries top-level members beside \"error\": %s", shown)}}
}

// checkEventStream: a positive control sent with stream: true must be
// answered with an event stream.
func checkEventStream(in *input) []Finding {
	ct := in.resp.Header.Get("Content-Type")
	mediaType, _, _ := strings.Cut(ct, ";")
	if strings.EqualFold(strings.TrimSpace(mediaType), "text/event-stream") {
		return nil
	}
	return []Finding{{Expected: "text/event-stream", Actual: quoteBounded(ct),
		Message: fmt.Sprintf("a successful stream: true request must be answered as an event stream (text/event-stream), got Content-Type %s", quoteBounded(ct))}}
}

// internalURL: a URL that names an address, an internal host name, a
// non-scheme protocol or an explicit port — not a public documentation link.
// internalAddress is the first address in text that is internal: one that
// parses as an IP address, stands on its own (not inside a version such as
// "openresty/1.21.4.1" or an id such as "req.10.20.30.40") and is private,
// loopback, link-local, shared (CGNAT) or unspecified. A public address is
// no internal detail.
func internalAddress(re *regexp.Regexp, text string) string {
	for _, loc := range re.FindAllStringIndex(text, 16) {
		if loc[0] > 0 && strings.ContainsRune("./-_", rune(text[loc[0]-1])) ||
			loc[1] < len(text) && (text[loc[1]] == '.' || text[loc[1]] == '-' || text[loc[1]] == '_') {
			continue
		}
		m := text[loc[0]:loc[1]]
		host := m
		if h, _, err := net.SplitHostPort(m); err == nil {
			host = h
		}
		addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
		if err != nil {
			continue
		}
		if addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() || sharedAddressSpace.Contains(addr.Unmap()) {
			return m
		}
	}
	return ""
}

// sharedAddressSpace is RFC 6598's 100.64.0.0/10 (carrier-grade NAT, also
// used inside clusters).
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// standardHeader: headers whose values are a protocol's, not the
// application's: cookies, caches, CDNs, security policies, links.
func standardHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Set-Cookie", "Server", "Via", "Date", "Expires", "Last-Modified", "Etag", "Age", "Cache-Control", "Vary",
		"Content-Security-Policy", "Content-Security-Policy-Report-Only", "Report-To", "Reporting-Endpoints", "Nel",
		"Link", "Alt-Svc", "Strict-Transport-Security", "Content-Type", "Content-Length", "Content-Encoding":
		return true
	}
	lower := strings.ToLower(name)
	return strings.HasPrefix(lower, "access-control-") || strings.HasPrefix(lower, "cf-") || strings.HasPrefix(lower, "x-cache")
}

func internalURL(raw string) bool {
	u, err := url.Parse(strings.TrimRight(raw, ".,;)"))
	if err != nil || u.Host == "" {
		return true
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return true
	}
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && port != "80" && port != "443" {
		return true
	}
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return true
	}
	for _, suffix := range []string{".internal", ".local", ".localdomain", ".svc", ".cluster.local", ".lan", ".corp", ".intranet"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}
