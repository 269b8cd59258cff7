// The scanner: one linear pass over a text and its decoded views
// (percent, backslash, HTML entities, base64, hex, spaced and reversed
// runs), reporting the spans where a configured secret's windows match.

package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

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
