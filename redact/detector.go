package redact

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
)

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
