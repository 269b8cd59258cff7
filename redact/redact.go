package redact

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Margin is how far past the end of an excerpt text is redacted
// before it is cut: a configured secret that starts inside the excerpt, in
// any form the redactor knows (hex, base64, \u escapes), ends within it.
const Margin = 4096

// Redacted is what replaces a secret in every output.
const Redacted = "[REDACTED]"

// FragmentLen is the fragment threshold: any run of this many consecutive
// characters of a configured secret (case-insensitive) is redacted wherever
// it appears. A secret shorter than this is matched whole.
const FragmentLen = 8

// Forms Find names, most telling first: Find reports the first of these
// that it saw.
const (
	FormVerbatim    = "verbatim"
	FormCaseChanged = "case-changed"
	FormBase64      = "base64"
	FormHex         = "hex"
	FormPercent     = "percent-encoded"
	FormJSONEscaped = "JSON-escaped"
	FormBackslashX  = "backslash-escaped"
	FormHTML        = "HTML entities"
	FormReversed    = "reversed"
	FormSpaced      = "spaced"
	FormZeroWidth   = "zero-width split"
	FormFragment    = "fragment"
)

// sensitiveHeaders never leave the process with their values.
var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key"}

// Redactor removes known secrets, and secret-shaped strings, from text.
//
// Configured secrets are found in every form a target may send them back
// in (see Find); on top of them, String redacts credentials that were not
// configured but look like one (sk- keys, JWTs, labelled values such as
// "Bearer X" or "api_key=X") and the userinfo of URLs. A nil *Redactor
// knows no secrets and still redacts shapes.
type Redactor struct {
	det *detector
}

// New returns a Redactor for the given secrets (empty ones
// ignored). It is cheap (a few KiB per secret length), so building one per
// credential, e.g. New(cred).Find(body), is fine.
func New(secrets ...string) *Redactor {
	return &Redactor{det: newDetector(secrets)}
}

// Cache hands out one Redactor per secret, built once: a run's
// cases mostly send the same few credentials, and building a detector of
// every encoding of a secret costs more than using it. Safe for
// concurrent use; the zero value is ready.
type Cache struct {
	mu sync.Mutex
	m  map[string]*Redactor
}

// For returns the Redactor of one secret.
func (c *Cache) For(secret string) *Redactor {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[secret]; ok {
		return r
	}
	if c.m == nil {
		c.m = map[string]*Redactor{}
	}
	if len(c.m) >= maxCachedRedactors {
		clear(c.m) // a hostile run of ever-new credentials stays bounded
	}
	r := New(secret)
	c.m[secret] = r
	return r
}

// maxCachedRedactors bounds a Cache.
const maxCachedRedactors = 256

// String redacts a string: every configured secret in any form, every
// secret-shaped string and the userinfo of every URL become Redacted.
// Overlapping matches merge into one Redacted, so no fragment survives.
// Text with none of these in it is returned unchanged. String runs in time
// linear in len(s).
func (r *Redactor) String(s string) string {
	var st scanState
	if r != nil && r.det != nil {
		r.det.scan(&st, s)
	}
	st.out = appendShapes(st.out, s)
	st.out = appendUserinfo(st.out, s)
	if len(st.out) == 0 {
		return s
	}
	spans := st.out
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	widen(spans, s)
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start < cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		b.WriteString(s[at:cur.start])
		b.WriteString(Redacted)
		at = cur.end
	}
	b.WriteString(s[at:])
	return b.String()
}

// Find reports whether a configured secret appears in s in any form String
// redacts (shapes and URL userinfo aside), and names the form without
// giving the secret away: FormVerbatim, FormCaseChanged, FormBase64,
// FormHex, FormPercent, FormJSONEscaped, FormBackslashX, FormHTML,
// FormReversed, FormSpaced, FormZeroWidth or FormFragment (the first in
// that order when several are there). It is what the no-secret-echo rule
// uses: New(credential).Find(string(body)).
func (r *Redactor) Find(s string) (form string, found bool) {
	if r == nil || r.det == nil {
		return "", false
	}
	var st scanState
	r.det.scan(&st, s)
	best := len(formOrder)
	for _, sp := range st.out {
		if i := r.det.formIndex(s, sp); i < best {
			best = i
		}
	}
	if best == len(formOrder) {
		return "", false
	}
	return formOrder[best], true
}

// StringKeeping redacts s but leaves every occurrence of the keep strings
// as it is: credentials errconform crafted itself (a JWT signed with a
// wrong secret, a key shaped like the configured one), which are no
// secret and which a reproduction command must send exactly. A keep string
// that holds any configured secret, in any form, is redacted all the same.
//
// It runs in time linear in len(s) whatever the number of keep strings (a
// fleet's report keeps every target's): the keep strings are swapped for
// placeholders in one pass of one multi-pattern replacer (a trie; at a
// position where several start, the longest wins), the text is redacted,
// and the placeholders are swapped back in one more pass.
func (r *Redactor) StringKeeping(s string, keep ...string) string {
	marker, ok := unusedMarker(s)
	if !ok {
		return r.String(s) // the text holds every marker: keep nothing
	}
	return r.keeper(keep, marker).string(s)
}

// The private-use characters placeholders are built of.
const privateUseFirst, privateUseLast = 0xE000, 0xF8FF

// unusedMarker is a private-use character s does not hold, to build
// placeholders no text can forge; false when s holds every one.
func unusedMarker(s string) (string, bool) {
	const first, last = privateUseFirst, privateUseLast
	if !strings.ContainsFunc(s, func(c rune) bool { return c >= first && c <= last }) {
		return string(rune(first)), true
	}
	used := make([]bool, last-first+1)
	for _, c := range s {
		if c >= first && c <= last {
			used[c-first] = true
		}
	}
	if i := slices.Index(used, false); i >= 0 {
		return string(rune(first + i)), true
	}
	return "", false
}

// Header returns a redacted copy of a header.
func (r *Redactor) Header(h http.Header) http.Header {
	out := http.Header{}
	for name, values := range h {
		shown := http.CanonicalHeaderKey(r.String(name)) // a target may echo a key as a header name
		for _, v := range values {
			if isSensitiveHeader(name) {
				out[shown] = append(out[shown], r.String(redactHeaderValue(v)))
				continue
			}
			out[shown] = append(out[shown], r.String(v))
		}
	}
	return out
}

func isSensitiveHeader(name string) bool {
	for _, s := range sensitiveHeaders {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// redactHeaderValue keeps an Authorization scheme (useful to a reader:
// "Bearer", "Basic") and drops the credential.
func redactHeaderValue(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok {
		for _, known := range authSchemes {
			if strings.EqualFold(scheme, known) {
				return scheme + " " + Redacted
			}
		}
	}
	return Redacted
}

// authSchemes are the Authorization schemes kept visible in redacted output.
var authSchemes = []string{"Bearer", "Basic", "Token", "Digest", "ApiKey"}

// ---------------------------------------------------------------------------
// Configured secrets: one detector, several views of the text.
//
// Each secret is cut into windows of FragmentLen bytes (the whole secret
// when shorter), in lower case: its own windows, those of the secret
// reversed and those of its hex encoding; and, case kept, the windows of
// its base64 encoding at each of the three byte alignments. The text is
// read once, as a stream of units (a unit is one character after undoing
// %XX, \uXXXX, \xXX, JSON and HTML escapes and dropping zero-width
// characters), each unit remembering the span of the original text it came
// from. The stream feeds a scanner as it is (which finds the verbatim,
// case-changed, escaped, zero-width split, reversed, hex, base64 forms and
// fragments) and two scanners of every other character, restarted whenever
// the character between is not a single separator (spaced); the raw bytes
// around each escape are scanned as well. A scanner keeps a rolling 8-byte
// window and looks it up in the window sets (a bloom bitset first, then a
// map); consecutive hits form a run, and a run holding a window that
// counts becomes a span of the original text. Every step is O(1), so a
// scan is linear in the text and allocates only the spans it finds.

// span is a part of the text to redact; form says how it was found.
type span struct {
	start, end int
	form       uint32
}

// Unit flags (how a unit was written) and scanner kinds, OR-ed into a
// span's form.
const (
	fPct uint32 = 1 << iota
	fJSON
	fBackslashX
	fEntity
	fZW
	kRaw
	kNorm
	kSpaced
	kHex
	kB64
	kRev // found by windows of a reversed secret only
)

// formOrder is the order Find prefers forms in.
var formOrder = []string{FormVerbatim, FormCaseChanged, FormBase64, FormHex, FormPercent, FormJSONEscaped,
	FormBackslashX, FormHTML, FormReversed, FormSpaced, FormZeroWidth, FormFragment}

// Window flags.
const (
	wFwd       uint8 = 1 << iota // a window of a secret as written
	wRev                         // a window of a secret reversed
	wStrong                      // a window that counts by itself; a weak one only extends a run
	wAnyForm                     // a plain window long enough to be looked for spaced
	wHex                         // a window of a secret's hex encoding
	wHexStrong                   // ... that counts by itself
	wB64                         // a window of a secret's base64 encoding (the base64 set)
)

// anyFormMin: a secret shorter than this is matched only as written (any
// case, escaped or zero-width split), never reversed, spaced, hex or
// base64, where so few bytes would match by chance.
const anyFormMin = 6

// windowSet holds windows of one length.
type windowSet struct {
	n     int
	mask  uint64
	bloom []uint64 // a cheap first test before the map
	m     map[uint64]uint8
}

const bloomBits = 16

func bloomIndex(key uint64) uint64 { return (key * 0x9E3779B97F4A7C15) >> (64 - bloomBits) }

func newWindowSet(n int) *windowSet {
	mask := ^uint64(0)
	if n < 8 {
		mask = 1<<(8*n) - 1
	}
	return &windowSet{n: n, mask: mask, bloom: make([]uint64, 1<<bloomBits/64), m: map[uint64]uint8{}}
}

func (ws *windowSet) add(w string, flags uint8) {
	var key uint64
	for i := 0; i < len(w); i++ {
		key = key<<8 | uint64(w[i])
	}
	ws.m[key] |= flags
	i := bloomIndex(key)
	ws.bloom[i>>6] |= 1 << (i & 63)
}

func (ws *windowSet) lookup(h uint64) uint8 {
	key := h & ws.mask
	if b := bloomIndex(key); ws.bloom[b>>6]&(1<<(b&63)) == 0 {
		return 0
	}
	return ws.m[key]
}

type detector struct {
	secrets []string     // as configured
	lower   []string     // ASCII lower case
	sets    []*windowSet // by window length: FragmentLen, and shorter for short secrets
	b64     *windowSet   // base64 windows, case kept, '-' and '_' read as '+' and '/'
	hasB64  bool
	// minHex and minB64: how long a hex or base64 run must be to hold
	// FragmentLen bytes (fewer for a shorter secret).
	minHex, minB64 int
}

func newDetector(secrets []string) *detector {
	d := &detector{b64: newWindowSet(8)}
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		d.secrets = append(d.secrets, s)
		d.lower = append(d.lower, asciiLower(s))
	}
	if len(d.secrets) == 0 {
		return nil
	}
	minAny := FragmentLen
	for i, s := range d.secrets {
		minAny = min(minAny, d.addSecret(s, d.lower[i]))
	}
	d.minHex = 2 * minAny
	d.minB64 = minAny * 8 / 6 // the characters made of minAny bytes' bits only
	return d
}

// addSecret adds a secret's windows and returns its window length when it
// is looked for in every form (FragmentLen otherwise).
func (d *detector) addSecret(s, low string) int {
	n := min(FragmentLen, len(low))
	ws := d.set(n)
	var anyForm uint8
	if n >= anyFormMin {
		anyForm = wAnyForm
	}
	sg := newStrength(low)
	for j := 0; j+n <= len(low); j++ {
		ws.add(low[j:j+n], wFwd|anyForm|sg.flag(j, j+n, wStrong))
	}
	// A secret holding an escape ("%41", "\\n", "&amp;") or a zero-width
	// character is also looked for as the unit stream reads it, for when
	// other characters of it come escaped around that one.
	if dec := asciiLower(decodeText(s)); dec != low && min(n, len(dec)) >= anyFormMin {
		m := min(n, len(dec))
		dws, dsg := d.set(m), newStrength(dec)
		for j := 0; j+m <= len(dec); j++ {
			dws.add(dec[j:j+m], wFwd|anyForm|dsg.flag(j, j+m, wStrong))
		}
	}
	if n < anyFormMin {
		return FragmentLen
	}
	rev := reverseRunes(low)
	for j := 0; j+n <= len(rev); j++ {
		ws.add(rev[j:j+n], wRev|wAnyForm|sg.flag(len(rev)-j-n, len(rev)-j, wStrong))
	}
	// hex: 8 digits are 4 bytes; a run must still be 2n digits long.
	set8 := d.set(8)
	hx := hex.EncodeToString([]byte(s))
	for j := 0; j+8 <= len(hx); j++ {
		set8.add(hx[j:j+8], wHex|sg.flag(j/2, (j+9)/2, wHexStrong))
	}
	// base64 at each alignment: encode the secret after 0, 1 or 2 bytes
	// and keep the characters made of the secret's bits only.
	for a := 0; a < 3; a++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, a), s...))
		first, last := (8*a+5)/6, (8*(a+len(s)))/6 // characters [first, last) are pure
		for j := first; j+8 <= last; j++ {
			from, to := (6*j)/8-a, (6*(j+8)+7)/8-a
			d.b64.add(enc[j:j+8], wB64|sg.flag(from, to, wStrong))
			d.hasB64 = true
		}
	}
	return n
}

// strength says which windows of a secret (lower case) count by
// themselves: all but those within the public prefix or with fewer than 4
// distinct bytes ("00000000"). A secret no longer than a window counts
// whole, and so does every window of a secret none of whose windows would
// count.
type strength struct {
	low       string
	prefix    int
	anyCounts bool
}

func newStrength(low string) strength {
	sg := strength{low: low, prefix: publicPrefixLen(low)}
	for j := 0; j+FragmentLen <= len(low) && !sg.anyCounts; j++ {
		sg.anyCounts = sg.counts(j, j+FragmentLen)
	}
	return sg
}

// counts reports whether a match of low[from:to] gives the secret away:
// it must reach at least minSecretPart characters past the key type's
// public prefix, and hold 4 distinct characters. ("sk-ref-c" is the prefix
// and one character: a sixteenth of every hex key of the type starts so,
// and a key errconform shaped like the configured one would count.)
func (sg strength) counts(from, to int) bool {
	return len(sg.low) <= FragmentLen || (to-max(from, sg.prefix) >= minSecretPart && distinctBytes(sg.low[max(from, 0):min(to, len(sg.low))]) >= 4)
}

// minSecretPart is how many characters past a key's public prefix a
// fragment must hold to count.
const minSecretPart = 4

// flag returns f when the window of secret bytes [from, to) counts. A
// window of an encoding covers fewer bytes: it is judged by the
// FragmentLen bytes around it.
func (sg strength) flag(from, to int, f uint8) uint8 {
	if to-from < FragmentLen {
		from = max(0, min(from, len(sg.low)-FragmentLen))
		to = max(to, from+FragmentLen)
	}
	if !sg.anyCounts || sg.counts(from, to) {
		return f
	}
	return 0
}

// decodeText is s as the unit stream reads it.
func decodeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size, _ := decodeUnit(s[i:])
		i += size
		switch {
		case r < 0:
			b.WriteByte(byte(^r))
		case !isZeroWidth(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// set returns the window set for windows of n bytes.
func (d *detector) set(n int) *windowSet {
	for _, ws := range d.sets {
		if ws.n == n {
			return ws
		}
	}
	ws := newWindowSet(n)
	d.sets = append(d.sets, ws)
	return ws
}

func distinctBytes(w string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(w); i++ {
		if !seen[w[i]] {
			seen[w[i]] = true
			n++
		}
	}
	return n
}

// publicPrefixLen is the length of a key type's public prefix ("sk-proj-",
// "sk-ant-api03-", "sk_live_", "github_pat_"), when at least FragmentLen
// characters follow it: windows within it are the same for every key of
// the type, so they do not count by themselves (an error message quoting
// "sk-proj-****3Vh" echoes nothing secret).
func publicPrefixLen(low string) int {
	n := 0
	if strings.HasPrefix(low, "github_pat_") {
		n = len("github_pat_")
	} else if len(low) > 3 && (low[:2] == "sk" || low[:2] == "pk" || low[:2] == "rk") && (low[2] == '-' || low[2] == '_') {
		n = 3
		for groups := 0; groups < 2; groups++ {
			j := n
			for j < len(low) && j-n < 8 && low[j] >= 'a' && low[j] <= 'z' {
				j++
			}
			if j == n {
				break
			}
			for k := 0; j < len(low) && k < 2 && low[j] >= '0' && low[j] <= '9'; k++ {
				j++
			}
			if j >= len(low) || (low[j] != '-' && low[j] != '_') {
				break
			}
			n = j + 1
		}
	}
	if len(low)-n < FragmentLen {
		return 0
	}
	return n
}

var lowerTab = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// b64Tab reads the URL alphabet as the standard one; 0 marks a byte that
// is in neither.
var b64Tab = func() (t [256]byte) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = byte(c)
	}
	t['-'], t['_'] = '+', '/'
	return t
}()

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerTab[c]
	}
	return string(b)
}

func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// isZeroWidth: characters that render as nothing and are dropped from the
// unit stream: zero-width space, non-joiner, joiner, word joiner,
// invisible operators, byte order mark, soft hyphen, Mongolian vowel
// separator, combining grapheme joiner.
func isZeroWidth(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x00AD, 0x180E, 0x034F:
		return true
	}
	return false
}

// formIndex names a span's form as an index into formOrder.
func (d *detector) formIndex(s string, sp span) int {
	form := FormFragment
	switch {
	case sp.form&kB64 != 0:
		form = FormBase64
	case sp.form&kHex != 0:
		form = FormHex
	case sp.form&kSpaced != 0:
		form = FormSpaced
	case sp.form&fPct != 0:
		form = FormPercent
	case sp.form&fJSON != 0:
		form = FormJSONEscaped
	case sp.form&fBackslashX != 0:
		form = FormBackslashX
	case sp.form&fEntity != 0:
		form = FormHTML
	case sp.form&fZW != 0:
		form = FormZeroWidth
	case sp.form&kRev != 0:
		form = FormReversed
	default:
		text := s[sp.start:sp.end]
		low := asciiLower(text)
		for i, secret := range d.secrets {
			if strings.Contains(text, secret) {
				form = FormVerbatim
				break
			}
			if strings.Contains(low, d.lower[i]) {
				form = FormCaseChanged
			}
		}
	}
	for i, f := range formOrder {
		if f == form {
			return i
		}
	}
	return len(formOrder)
}

// Run kinds: a scanner keeps one run of each.
const (
	runPlain = iota
	runHex
	runB64
)

// run is a stretch of consecutive window hits.
type run struct {
	open        bool
	start, end  int // in the text
	first, last int // unit numbers: the first of the first window, the last hit
	form        uint32
	info        uint8
}

// scanner matches one stream of bytes against the window sets.
type scanner struct {
	kind   uint32
	h      uint64 // the last 8 bytes, lower case, newest lowest
	h2     uint64 // the same through b64Tab
	n      int    // bytes since the last reset
	starts [8]int // where each of the last 8 bytes starts in the text
	flags  [8]uint32
	runs   [3]run
}

// scanState is one scan: the scanners and the spans found.
type scanState struct {
	d      *detector
	out    []span
	raw    scanner // the raw bytes around escapes
	rawAt  int     // where raw has read to
	norm   scanner
	spaced spacedStage
}

func (s *scanner) push(st *scanState, c byte, start, end int, fl uint32) {
	s.h = s.h<<8 | uint64(lowerTab[c])
	i := s.n & 7
	s.starts[i] = start
	s.flags[i] = fl
	s.n++
	d := st.d
	for _, ws := range d.sets {
		if s.n < ws.n {
			continue
		}
		info := ws.lookup(s.h)
		if info == 0 {
			continue
		}
		if info&(wFwd|wRev) != 0 && (s.kind != kSpaced || info&wAnyForm != 0) {
			s.hit(st, runPlain, ws.n, end, info&(wFwd|wRev|wStrong))
		}
		if info&wHex != 0 && s.kind != kSpaced {
			s.hit(st, runHex, 8, end, info&(wHex|wHexStrong))
		}
	}
	if d.hasB64 && s.kind != kSpaced {
		s.h2 = s.h2<<8 | uint64(b64Tab[c])
		if s.n >= 8 && b64Tab[c] != 0 {
			if info := d.b64.lookup(s.h2); info != 0 {
				s.hit(st, runB64, 8, end, info)
			}
		}
	}
}

// hit records that the window of the last n bytes matched.
func (s *scanner) hit(st *scanState, kind, n, end int, info uint8) {
	first := s.n - n
	form := s.flags[first&7] &^ fZW // a zero-width character before the window is not in it
	for j := first + 1; j < s.n; j++ {
		form |= s.flags[j&7]
	}
	start := s.starts[first&7]
	r := &s.runs[kind]
	if r.open && r.last >= s.n-2 {
		r.start, r.end = min(r.start, start), max(r.end, end)
		r.first = min(r.first, first)
		r.form |= form
		r.info |= info
	} else {
		s.close(st, kind)
		*r = run{open: true, start: start, end: end, first: first, form: form, info: info}
	}
	r.last = s.n - 1
}

// close ends a run: it becomes a span if a window in it counts (and, for
// an encoding, it is long enough to hold a fragment).
func (s *scanner) close(st *scanState, kind int) {
	r := &s.runs[kind]
	if !r.open {
		return
	}
	r.open = false
	length := r.last - r.first + 1
	form := s.kind | r.form
	switch kind {
	case runPlain:
		if r.info&wStrong == 0 {
			return
		}
		if r.info&wFwd == 0 {
			form |= kRev
		}
	case runHex:
		if r.info&wHexStrong == 0 || length < st.d.minHex {
			return
		}
		form |= kHex
	case runB64:
		if r.info&wStrong == 0 || length < st.d.minB64 {
			return
		}
		form |= kB64
	}
	st.out = append(st.out, span{r.start, r.end, form})
}

func (s *scanner) reset(st *scanState) {
	for k := range s.runs {
		s.close(st, k)
	}
	s.n, s.h, s.h2 = 0, 0, 0
}

// pushRune feeds the UTF-8 bytes of r (or the raw byte ^r when r < 0).
func (s *scanner) pushRune(st *scanState, r rune, start, end int, fl uint32) {
	switch {
	case r < 0:
		s.push(st, byte(^r), start, end, fl)
	case r < utf8.RuneSelf:
		s.push(st, byte(r), start, end, fl)
	default:
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			s.push(st, c, start, end, fl)
		}
	}
}

// spacedStage: two scanners, one for the characters at even positions and
// one for those at odd positions; a scanner restarts whenever a character
// between two of its own is not a single separator. A scanner starts only
// when a separator follows a character (that character is its first), so
// in prose and blobs most characters cost a table lookup here.
type spacedStage struct {
	sc     [2]scanner
	first  [2]pending // a scanner's first character, until its second comes
	prev   pending    // the character before
	active [2]bool
	k      int
}

type pending struct {
	r          rune
	start, end int
	fl         uint32
}

func (sp *spacedStage) push(st *scanState, r rune, start, end int, fl uint32) {
	q := sp.k & 1
	sp.k++
	if sp.active[q] { // the character before was a separator
		if f := &sp.first[q]; f.end > 0 {
			sp.sc[q].pushRune(st, f.r, f.start, f.end, f.fl)
			f.end = 0
		}
		sp.sc[q].pushRune(st, r, start, end, fl)
	}
	switch {
	case !isSeparator(r):
		if sp.active[q^1] {
			sp.stop(st, q^1)
		}
	case !sp.active[q^1] && sp.k > 1:
		sp.active[q^1], sp.first[q^1] = true, sp.prev
	}
	sp.prev = pending{r, start, end, fl}
}

func (sp *spacedStage) stop(st *scanState, q int) {
	sp.active[q], sp.first[q].end = false, 0
	if sp.sc[q].n > 0 {
		sp.sc[q].reset(st)
	}
}

var alnum = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return t
}()

// isSeparator: anything but a letter, digit or mark.
func isSeparator(r rune) bool {
	switch {
	case r < 0:
		return false
	case r < utf8.RuneSelf:
		return !alnum[r]
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

// widen grows hex and base64 spans to the whole hex or base64 word they
// are in (base64 with its '=' padding, up to a '/'): what surrounds a
// secret in one blob (the user in Basic credentials, the bits of its first
// and last characters) goes with it. spans is sorted by start.
func widen(spans []span, s string) {
	reach := 0
	for i := range spans {
		sp := &spans[i]
		in := hexByteOK
		if sp.form&kB64 != 0 {
			in = b64ByteOK
		} else if sp.form&kHex == 0 {
			reach = max(reach, sp.end)
			continue
		}
		for sp.start > reach && in(s[sp.start-1]) {
			sp.start--
		}
		if sp.end >= reach {
			for sp.end < len(s) && in(s[sp.end]) {
				sp.end++
			}
			for sp.form&kB64 != 0 && sp.end < len(s) && s[sp.end] == '=' {
				sp.end++
			}
		}
		reach = max(reach, sp.end)
	}
}

func hexByteOK(c byte) bool { return hexVal(rune(c)) >= 0 }

// b64ByteOK: a base64 character other than '/', where a path goes on
// ("https://h/v1/files/<base64>/content" keeps its host).
func b64ByteOK(c byte) bool { return b64Tab[c] != 0 && c != '/' }

// feed gives one unit of the stream to every scanner.
func (st *scanState) feed(r rune, start, end int, fl uint32) {
	st.norm.pushRune(st, r, start, end, fl)
	st.spaced.push(st, r, start, end, fl)
}

// barrier ends every run: nothing is matched across an earlier Redacted.
func (st *scanState) barrier() {
	st.norm.reset(st)
	st.spaced.stop(st, 0)
	st.spaced.stop(st, 1)
	st.spaced.k = 0
}

// rawAround scans the raw bytes around an escape at [a, b), as far as a
// window reaching into it goes: the unit stream decodes the escape, and a
// secret written right after a stray '%', '\\' or '&' ("100%a3f9…") would
// otherwise lose its first characters to a bogus escape.
func (st *scanState) rawAround(s string, a, b int) {
	from, to := max(a-(FragmentLen-1), 0), min(b+FragmentLen-1, len(s))
	if from > st.rawAt {
		st.raw.reset(st) // a gap: what ran before it is over
		st.rawAt = from
	}
	for i := st.rawAt; i < to; i++ {
		if s[i] == '[' && strings.HasPrefix(s[i:], Redacted) {
			st.raw.reset(st)
			i += len(Redacted) - 1
			continue
		}
		st.raw.push(st, s[i], i, i+1, 0)
	}
	st.rawAt = max(st.rawAt, to)
}

// unitStop: bytes the unit stream may not pass through as they are.
var unitStop = func() (t [256]bool) {
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	t['%'], t['\\'], t['&'], t['['] = true, true, true, true
	return t
}()

func (d *detector) scan(st *scanState, s string) {
	st.d = d
	st.raw.kind, st.norm.kind = kRaw, kNorm
	st.spaced.sc[0].kind, st.spaced.sc[1].kind = kSpaced, kSpaced
	zw := false
	for i := 0; i < len(s); {
		c := s[i]
		if !unitStop[c] {
			var fl uint32
			if zw {
				fl, zw = fZW, false
			}
			st.norm.push(st, c, i, i+1, fl)
			st.spaced.push(st, rune(c), i, i+1, fl)
			i++
			continue
		}
		if c == '[' && strings.HasPrefix(s[i:], Redacted) {
			st.barrier()
			i += len(Redacted)
			continue
		}
		r, size, fl := decodeUnit(s[i:])
		if r >= 0 && isZeroWidth(r) {
			zw = true
			i += size
			continue
		}
		if fl != 0 {
			st.rawAround(s, i, i+size)
		}
		if zw {
			fl, zw = fl|fZW, false
		}
		st.feed(r, i, i+size, fl)
		i += size
	}
	st.barrier()
	st.raw.reset(st)
}

// decodeUnit reads one unit at the start of s (which is not empty): an
// escape (%XX, possibly several making one UTF-8 character; \uXXXX,
// possibly a surrogate pair; \xXX; a JSON escape; an HTML character
// reference) or one character. r < 0 stands for the raw byte ^r, which is
// not valid UTF-8.
func decodeUnit(s string) (r rune, size int, fl uint32) {
	switch s[0] {
	case '%':
		if r, size, ok := decodePercent(s); ok {
			return r, size, fPct
		}
	case '\\':
		if r, size, fl, ok := decodeBackslash(s); ok {
			return r, size, fl
		}
	case '&':
		if r, size, ok := decodeEntity(s); ok {
			return r, size, fEntity
		}
	}
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1, 0
	}
	r, size = utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return ^rune(s[0]), 1, 0
	}
	return r, size, 0
}

func hexByte(s string) (byte, bool) {
	if len(s) < 2 {
		return 0, false
	}
	h, l := hexVal(rune(s[0])), hexVal(rune(s[1]))
	if h < 0 || l < 0 {
		return 0, false
	}
	return byte(h<<4 | l), true
}

func decodePercent(s string) (rune, int, bool) {
	b, ok := hexByte(s[1:])
	if !ok {
		return 0, 0, false
	}
	if b < utf8.RuneSelf {
		return rune(b), 3, true
	}
	var buf [utf8.UTFMax]byte
	buf[0] = b
	n := 1
	for n < utf8.UTFMax && len(s) >= 3*(n+1) && s[3*n] == '%' {
		c, ok := hexByte(s[3*n+1:])
		if !ok || c&0xC0 != 0x80 {
			break
		}
		buf[n] = c
		n++
		if utf8.FullRune(buf[:n]) {
			break
		}
	}
	if r, size := utf8.DecodeRune(buf[:n]); r != utf8.RuneError && size == n {
		return r, 3 * n, true
	}
	return ^rune(b), 3, true
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		v := hexVal(rune(s[i]))
		if v < 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func decodeBackslash(s string) (rune, int, uint32, bool) {
	if len(s) < 2 {
		return 0, 0, 0, false
	}
	switch s[1] {
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, 0, 0, false
		}
		if r >= 0xD800 && r < 0xDC00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if lo, ok := hex4(s[8:]); ok && lo >= 0xDC00 && lo < 0xE000 {
				return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12, fJSON, true
			}
		}
		if r >= 0xD800 && r < 0xE000 {
			r = utf8.RuneError
		}
		return r, 6, fJSON, true
	case 'x':
		b, ok := hexByte(s[2:])
		if !ok {
			return 0, 0, 0, false
		}
		if b >= utf8.RuneSelf {
			return ^rune(b), 4, fBackslashX, true
		}
		return rune(b), 4, fBackslashX, true
	case '"', '\\', '/', '\'':
		return rune(s[1]), 2, fJSON, true
	case 'b':
		return '\b', 2, fJSON, true
	case 'f':
		return '\f', 2, fJSON, true
	case 'n':
		return '\n', 2, fJSON, true
	case 'r':
		return '\r', 2, fJSON, true
	case 't':
		return '\t', 2, fJSON, true
	}
	return 0, 0, 0, false
}

// namedEntities: the HTML named character references for characters that
// appear in keys and text around them.
var namedEntities = map[string]rune{
	"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'', "nbsp": 0xA0, "shy": 0xAD,
	"plus": '+', "sol": '/', "equals": '=', "lowbar": '_', "period": '.', "colon": ':', "semi": ';',
	"comma": ',', "excl": '!', "quest": '?', "num": '#', "percnt": '%', "ast": '*', "commat": '@',
	"dollar": '$', "lpar": '(', "rpar": ')', "lsqb": '[', "rsqb": ']', "lcub": '{', "rcub": '}',
	"bsol": '\\', "verbar": '|', "grave": '`', "Hat": '^', "hyphen": 0x2010, "dash": 0x2010,
	"ZeroWidthSpace": 0x200B, "zwnj": 0x200C, "zwj": 0x200D, "NoBreak": 0x2060, "Tab": '\t', "NewLine": '\n',
}

func decodeEntity(s string) (rune, int, bool) {
	if len(s) < 3 {
		return 0, 0, false
	}
	if s[1] == '#' {
		i, base, maxDigits := 2, rune(10), 7
		if s[2] == 'x' || s[2] == 'X' {
			i, base, maxDigits = 3, 16, 6
		}
		var r rune
		j := i
		for ; j < len(s) && j-i < maxDigits; j++ {
			v := hexVal(rune(s[j]))
			if v < 0 || rune(v) >= base {
				break
			}
			r = r*base + rune(v)
		}
		if j == i {
			return 0, 0, false
		}
		if j < len(s) && s[j] == ';' {
			j++
		}
		if r > unicode.MaxRune || (r >= 0xD800 && r < 0xE000) || r == 0 {
			r = utf8.RuneError
		}
		return r, j, true
	}
	j := 1
	for j < len(s) && j <= 15 && isLetter(s[j]) {
		j++
	}
	if j == 1 || j >= len(s) || s[j] != ';' {
		return 0, 0, false
	}
	r, ok := namedEntities[s[1:j]]
	return r, j + 1, ok
}

// ---------------------------------------------------------------------------
// Shapes: credentials that were not configured but look like one, and URL
// userinfo. Each is found by a hand-written linear scan (the regular
// expressions they replace cost 80 ns a byte).

func isWordByte(c byte) bool { return c < utf8.RuneSelf && (alnum[c] || c == '_') }

// atWordStart: a \b before s[i] (s[i] being a word byte).
func atWordStart(s string, i int) bool { return i == 0 || !isWordByte(s[i-1]) }

// keyByte: [A-Za-z0-9_-], the characters of sk- keys and JWT segments.
func keyByte(c byte) bool { return c < utf8.RuneSelf && (alnum[c] || c == '_' || c == '-') }

// valueByte: [A-Za-z0-9._~+/=-] and '_', the characters of a labelled value.
func valueByte(c byte) bool {
	return c < utf8.RuneSelf && (alnum[c] || strings.IndexByte("._~+/=-", c) >= 0)
}

func runOf(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

// appendShapes appends the spans of secret-shaped strings: JWTs
// (\beyJ…\.…\.…), sk- keys (\bsk-[A-Za-z0-9_-]{8,}) and labelled values.
func appendShapes(out []span, s string) []span {
	// JWTs: three dot-separated base64url segments, the first "eyJ".
	for from := 0; ; {
		i := strings.Index(s[from:], "eyJ")
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if !atWordStart(s, i) {
			continue
		}
		j := runOf(s, i+3, keyByte)
		if j >= len(s) || s[j] != '.' {
			from = j // a later "eyJ" in this run fails here too
			continue
		}
		j = runOf(s, j+1, keyByte)
		if j >= len(s) || s[j] != '.' {
			from = j
			continue
		}
		j = runOf(s, j+1, keyByte)
		out = append(out, span{i, j, 0})
		from = j
	}
	// sk- keys.
	for from := 0; ; {
		i := strings.Index(s[from:], "sk-")
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if !atWordStart(s, i) {
			continue
		}
		j := runOf(s, i+3, keyByte)
		if j-(i+3) >= 8 {
			out = append(out, span{i, j, 0})
		}
		from = j
	}
	return appendLabelled(out, s)
}

// labels introduce a credential: "Bearer X", "api_key=X", "token: X".
var labels = []string{"bearer", "basic", "token", "apikey", "api_key", "api-key", "secret", "password"}

// labelFirst: the first letters of labels, either case.
var labelFirst = func() (t [256]bool) {
	for _, l := range labels {
		t[l[0]], t[l[0]-'a'+'A'] = true, true
	}
	return t
}()

// appendLabelled: a label at a word start, then a separator holding a
// blank, ':' or '=' (so "TokenStatusExhausted" is no label), optionally
// quoted, then a value of 8 or more [A-Za-z0-9._~+/=-] that looks like a
// credential and is not a placeholder (YOUR_API_KEY).
func appendLabelled(out []span, s string) []span {
	for i := 0; i < len(s); i++ {
		if !labelFirst[s[i]] || !atWordStart(s, i) {
			continue
		}
		n := 0
		for _, l := range labels {
			if len(s)-i >= len(l) && strings.EqualFold(s[i:i+len(l)], l) {
				n = len(l)
				break
			}
		}
		if n == 0 {
			continue
		}
		j := i + n
		if j < len(s) && s[j] == '"' {
			j++
		}
		k := runOf(s, j, isBlank)
		if k < len(s) && (s[k] == ':' || s[k] == '=') {
			k = runOf(s, k+1, isBlank)
		} else if k == j {
			continue // no separator
		}
		if k < len(s) && s[k] == '"' {
			k++
		}
		e := runOf(s, k, valueByte)
		if e-k < 8 {
			continue
		}
		if v := s[k:e]; looksLikeCredential(v) && !isPlaceholder(v) {
			out = append(out, span{k, e, 0})
		}
		i = e - 1
	}
	return out
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// looksLikeCredential: a digit, a symbol, mixed case, or 20+ characters.
// A lowercase word shorter than that is taken for English.
func looksLikeCredential(v string) bool {
	return len(v) >= 20 || strings.ContainsAny(v, "0123456789._~+/=-") || strings.ToLower(v) != v
}

// isPlaceholder: an ALL-CAPS name with underscores, as documentation
// writes where the key goes (YOUR_API_KEY, OPENAI_API_KEY).
func isPlaceholder(v string) bool {
	if v[0] < 'A' || v[0] > 'Z' || !strings.Contains(v, "_") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return !strings.Contains(v, "__") && v[len(v)-1] != '_'
}

// appendUserinfo appends the userinfo of every URL ("scheme://userinfo@"),
// keeping the scheme and the host.
func appendUserinfo(out []span, s string) []span {
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			return out
		}
		i += from
		from = i + 3
		b := i
		for b > 0 && schemeByte(s[b-1]) {
			b--
		}
		for b < i && !isLetter(s[b]) {
			b++
		}
		if b == i {
			continue // no scheme
		}
		j := from
		for j < len(s) && userinfoByte(s[j]) {
			j++
		}
		if j > from && j < len(s) && s[j] == '@' {
			out = append(out, span{from, j, 0})
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func schemeByte(c byte) bool {
	return c < utf8.RuneSelf && (alnum[c] || c == '+' || c == '.' || c == '-')
}

func userinfoByte(c byte) bool {
	return c > ' ' && c != 0x7f && strings.IndexByte("/?#@\"'<>\\`", c) < 0
}

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// KeyPrefix is a key's public prefix: up to its last separator (- _ . :)
// within its first 16 characters and its first half ("sk-proj-", "sk-ref-",
// "pk_live_"). Every key of one type shares it, so it is no secret; what
// follows is. A JWT has none (its secret part is its signature).
func KeyPrefix(key string) string {
	limit := min(16, len(key)/2)
	if i := strings.LastIndexAny(key[:limit], "-_.:"); i >= 0 {
		return key[:i+1]
	}
	return ""
}
