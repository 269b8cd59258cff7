package reference

import (
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Organizations and their credit balances.
const (
	orgMain  = "main"
	orgBroke = "broke"
	orgOther = "other"
)

// principal is who a request authenticated as.
type principal struct {
	id          string // stable identity, e.g. the rate-limit bucket
	org         string
	restricted  bool // may not use RestrictedModel
	rateLimited bool // subject to Options.RateLimit per Options.RateWindow
}

type apiKey struct {
	key       string
	principal principal
}

// authenticate reads the Authorization header. It returns the principal, the
// credential presented (for redaction, even when invalid) and any error.
func (s *Server) authenticate(r *http.Request) (principal, string, *apiError) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 || (len(values) == 1 && strings.TrimSpace(values[0]) == "") {
		return principal{}, "", fail(sitMissingCredential, "", "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.")
	}
	malformed := fail(sitMalformedCredential, "", "The Authorization header is malformed. It must be 'Bearer' followed by a single API key or token.")
	if len(values) > 1 {
		return principal{}, "", malformed
	}
	header := values[0]
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return principal{}, strings.TrimSpace(header), malformed
	}
	if looksLikeJWT(token) {
		if err := s.verifyJWT(token); err != nil {
			return principal{}, token, fail(sitInvalidJWT, "", "The bearer token is invalid or has expired.")
		}
		return principal{id: "jwt", org: orgMain}, token, nil
	}
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare([]byte(k.key), []byte(token)) == 1 {
			return k.principal, token, nil
		}
	}
	switch {
	case subtle.ConstantTimeCompare([]byte(s.disabledKey), []byte(token)) == 1:
		return principal{}, token, fail(sitDisabledKey, "", "This API key has been disabled. Create a new key in your account settings.")
	case subtle.ConstantTimeCompare([]byte(s.expiredKey), []byte(token)) == 1:
		return principal{}, token, fail(sitExpiredKey, "", "This API key has expired. Create a new key in your account settings.")
	}
	return principal{}, token, fail(sitUnknownKey, "", "Incorrect API key provided. You can find your API keys in your account settings.")
}

// looksLikeJWT reports whether token is three dot-separated base64url parts
// (the third may be empty, as in an unsigned token).
func looksLikeJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, part := range parts {
		for _, c := range part {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func (s *Server) verifyJWT(token string) error {
	_, err := jwt.ParseWithClaims(token, &jwt.RegisteredClaims{},
		func(t *jwt.Token) (any, error) {
			if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
				return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
			}
			return []byte(s.jwtSecret), nil
		},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.opts.Now),
	)
	if err != nil {
		return fmt.Errorf("reference: verify JWT: %w", err)
	}
	return nil
}

// rateWindow counts one principal's requests in a fixed window.
type rateWindow struct {
	start time.Time
	count int
}

// admit applies the rate limit to principals subject to it, on the
// requests Options.RateScope says it covers.
func (s *Server) admit(p principal, r *http.Request) *apiError {
	if !p.rateLimited {
		return nil
	}
	bucket := p.id
	switch s.opts.RateScope {
	case RatePerRoute:
		bucket += " " + r.Method + " " + r.URL.Path
	case RateChatOnly:
		if r.URL.Path != "/v1/chat/completions" {
			return nil
		}
	}
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	win := s.windows[bucket]
	if win == nil || now.Before(win.start) || now.Sub(win.start) >= s.opts.RateWindow {
		win = &rateWindow{start: now}
		s.windows[bucket] = win
	}
	if win.count < s.opts.RateLimit {
		win.count++
		return nil
	}
	wait := max(1, int(math.Ceil(win.start.Add(s.opts.RateWindow).Sub(now).Seconds())))
	return &apiError{
		situation:  sitRateLimited,
		retryAfter: wait,
		message: fmt.Sprintf("Rate limit reached: %d requests per %s. Please retry after %d seconds.",
			s.opts.RateLimit, per(s.opts.RateWindow), wait),
	}
}

// per names a window in a sentence: "minute", "30s".
func per(d time.Duration) string {
	if d == time.Minute {
		return "minute"
	}
	return d.String()
}
