package suites

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/errconform/errconform/config"
)

// The unknown key a gateway's own format check accepts: same prefix up to
// the last separator, same length, same kinds of characters, never the key.
func TestShapedUnknownKeyKeepsTheShape(t *testing.T) {
	tests := []struct {
		key, prefix, alphabet string
	}{
		{"sk-proj-AbC123xyzQ9", "sk-proj-", "AbCxyzQ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"sk-ref-0123456789abcdef0123456789abcdef", "sk-ref-", "0123456789abcdef"},
		{"pk_live_51HxYzAbCdEfGhIj", "pk_live_", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"},
		{"ABCDEFGHJK", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"gw.key.zz+/==AbCdEf", "gw.key.", "+/=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		// base64url keys hold - and _ in their random part: only the type
		// prefix is kept, never most of the key (an earlier version kept
		// everything up to the last separator, the valid key itself when it
		// ended in one).
		{"sk-proj-Xq3vB9_kLm2-Np7Rt4Wm8Kc3Nb6Hd1Fj5Gs0Ya2Ue-", "sk-proj-", "_-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			seen := map[string]bool{}
			for range 20 {
				shaped := ShapedUnknownKey(tt.key)
				assert.NotEqual(t, tt.key, shaped)
				assert.Len(t, shaped, len(tt.key))
				assert.True(t, strings.HasPrefix(shaped, tt.prefix), shaped)
				assert.LessOrEqual(t, len(tt.prefix), len(tt.key)/2, "at most half the key is kept")
				for _, r := range shaped[len(tt.prefix):] {
					assert.Contains(t, tt.alphabet, string(r), "%s: %q is outside the key's alphabet", shaped, r)
				}
				seen[shaped] = true
			}
			assert.Greater(t, len(seen), 1, "the tail is random")
		})
	}
	assert.Equal(t, unknownKey, ShapedUnknownKey(""), "no configured key: the generic unknown key")
}

// The context prompt exceeds the window however the target counts tokens,
// from one to CharsPerTokenBound characters per token, and a tokenizer
// that spends a token on each "hi " word.
func TestContextPromptExceedsTheWindowUnderAnyTokenizer(t *testing.T) {
	for _, window := range []int{16, 8192, 131072} {
		prompt := contextPrompt(window)
		chars := utf8.RuneCountInString(prompt)
		for perToken := 1; perToken <= CharsPerTokenBound; perToken++ {
			assert.Greater(t, chars/perToken, window, "window %d at %d characters per token", window, perToken)
		}
		assert.Greater(t, len(strings.Fields(prompt)), window, "window %d: one token per word", window)
		assert.Less(t, len(prompt), 5*window+100, "window %d: the body stays about 4.4 bytes per token of window", window)
	}
}

// Every chat case that can carry stream: true has a twin that does, and
// nothing else is twinned.
func TestStreamTwins(t *testing.T) {
	cfg := twinProbeConfig()
	byID := map[string]Case{}
	for _, c := range Catalogue() {
		byID[c.ID] = c
	}
	twins := 0
	for id, c := range byID {
		original, isTwin := strings.CutSuffix(id, "/stream")
		if !isTwin {
			continue
		}
		twins++
		base, ok := byID[original]
		require.True(t, ok, "%s twins a case that exists", id)
		assert.True(t, c.Expect.Stream)
		assert.Equal(t, base.Expect.Status, c.Expect.Status, id)
		assert.Equal(t, base.Expect.Code, c.Expect.Code, id)
		var body map[string]any
		require.NoError(t, json.Unmarshal(c.Request(cfg).Body, &body), id)
		assert.Equal(t, true, body["stream"], id)
	}
	assert.Greater(t, twins, 30)
	for _, id := range []string{"request/malformed-json", "request/empty-body", "request/not-an-object", "auth/before-validation/no-key/malformed-json"} {
		assert.NotContains(t, byID, id+"/stream", "a body that is not a JSON object has no twin")
	}
	assert.NotContains(t, byID, "request/stream-invalid-field/stream")
	assert.NotContains(t, byID, "fault/internal-error/stream")
	assert.Contains(t, byID, "upstream/slow-model/stream")
	assert.Contains(t, byID, "auth/shaped-unknown-key/chat/stream")
}

// With auth.header, keys travel in that header, and the variants that
// break the Bearer scheme do not apply.
func TestKeysTravelInTheConfiguredHeader(t *testing.T) {
	cfg := twinProbeConfig()
	cfg.Auth.Header = "api-key"
	for _, c := range Catalogue() {
		if !strings.HasPrefix(c.ID, "auth/") {
			continue
		}
		r := c.Request(cfg)
		if why := c.Inapplicable(cfg); why != "" {
			assert.Contains(t, why, "api-key", c.ID)
			continue
		}
		assert.Empty(t, r.Header.Get("Authorization"), c.ID)
		if r.Credential != "" {
			assert.Equal(t, r.Credential, r.Header.Get("api-key"), c.ID)
		}
	}
	bearer := twinProbeConfig()
	for _, c := range Catalogue() {
		assert.Empty(t, c.Inapplicable(bearer), "every case applies to Bearer auth: %s", c.ID)
	}
	var chat Case
	for _, c := range Catalogue() {
		if c.ID == "ratelimit/burst" {
			chat = c
		}
	}
	cfg = twinProbeConfig()
	cfg.Fixtures.RateLimitEndpoint = config.RateLimitOnChat
	assert.Equal(t, "/chat/completions", chat.Request(cfg).Path)
	cfg.Fixtures.RateLimitEndpoint = ""
	assert.Equal(t, "/models", chat.Request(cfg).Path)
}

// withMembers sets top-level members and leaves every other member's bytes
// alone (a stream twin sends exactly what its case sends, plus "stream").
func TestWithMembers(t *testing.T) {
	tests := []struct {
		name, body string
		members    map[string]any
		want       string
	}{
		{"adds a member in key order", `{"model":"m","messages":[]}`, map[string]any{"stream": true}, `{"messages":[],"model":"m","stream":true}`},
		{"replaces a member", `{"model":"m","n":1}`, map[string]any{"model": "acme/x"}, `{"model":"acme/x","n":1}`},
		{"keeps a number's digits", `{"seed":9007199254740993,"t":1e400}`, map[string]any{"stream": true}, `{"seed":9007199254740993,"stream":true,"t":1e400}`},
		{"escapes as json.Marshal does", `{"a":"x"}`, map[string]any{"model": "<m&>"}, `{"a":"x","model":"\u003cm\u0026\u003e"}`},
		{"not an object", `[1,2]`, map[string]any{"stream": true}, `[1,2]`},
		{"null", `null`, map[string]any{"stream": true}, `null`},
		{"not JSON", `{"a":`, map[string]any{"stream": true}, `{"a":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(withMembers([]byte(tt.body), tt.members)))
		})
	}
}

// Each credential variant is one character away from the key and never the
// key itself; a key too short to alter gives the unknown key.
func TestAlteredKeys(t *testing.T) {
	tests := []struct {
		key, appended, truncated, changed string
	}{
		{"sk-ref-0123456789abcdef", "sk-ref-0123456789abcdefx", "sk-ref-0123456789abcde", "sk-ref-0123456789abcdeg"},
		{"sk-proj-AbZ", "sk-proj-AbZx", "sk-proj-Ab", "sk-proj-AbA"},
		{"key-9", "key-9x", "key-", "key-0"},
		{"key_z", "key_zx", "key_", "key_a"},
		{"tok.-", "tok.-x", "tok.", "tok.x"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			assert.Equal(t, tt.appended, alteredKey(tt.key, keyAppended))
			assert.Equal(t, tt.truncated, alteredKey(tt.key, keyTruncated))
			assert.Equal(t, tt.changed, alteredKey(tt.key, keyCharChanged))
		})
	}
	for _, short := range []string{"", "k"} {
		assert.Equal(t, unknownKey, alteredKey(short, keyCharChanged))
	}
}
