package redact

import (
	"strings"
	"unicode/utf8"
)

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
