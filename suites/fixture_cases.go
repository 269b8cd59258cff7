package suites

import (
	"fmt"
	"strings"

	"github.com/errconform/errconform/check"
	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/probe"
)

// onePixelPNG is a data URL, so that no target is asked to fetch anything.
const onePixelPNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

// contentParts builds a user message whose content is the given parts.
func contentParts(parts ...map[string]any) map[string]any {
	content := []any{map[string]any{"type": "text", "text": "Describe this."}}
	for _, p := range parts {
		content = append(content, p)
	}
	return map[string]any{"messages": []any{map[string]any{"role": "user", "content": content}}}
}

func filePart(fileID string) map[string]any {
	return map[string]any{"type": "file", "file": map[string]any{"file_id": fileID}}
}

// keyedChat is a well-formed chat request with another key and overrides.
func keyedChat(key func(config.Config) string, model func(config.Config) string, overrides func(config.Config) map[string]any) func(config.Config) probe.Request {
	return func(cfg config.Config) probe.Request {
		o := map[string]any{}
		if overrides != nil {
			o = overrides(cfg)
		}
		return rawChat(cfg, key(cfg), chatBody(model(cfg), o))
	}
}

func validKey(cfg config.Config) string { return cfg.Auth.APIKey }

// The situations of files a request names.
const (
	fileNotFound = "file-not-found"
	fileExpired  = "file-expired"
)

// fileCases are one file fixture on the three places a file id appears.
func fileCases(slug, fixture, situation string, fileID func(config.Config) string) []Case {
	var cases []Case
	for _, name := range []string{"files-get", "files-content"} {
		e := endpointByName(name)
		cases = append(cases, Case{
			ID: fmt.Sprintf("files/%s/%s", slug, name), Endpoint: name, Fixtures: []string{fixture},
			Title:     fmt.Sprintf("%s on %s %s", strings.ReplaceAll(slug, "-", " "), e.method, e.path),
			Sends:     fmt.Sprintf("%s %s with fixtures.%s", e.method, strings.ReplaceAll(e.path, probeFileID, "{file_id}"), fixture),
			Situation: situation,
			build: func(cfg config.Config) probe.Request {
				r := e.keyed(cfg, cfg.Auth.APIKey)
				r.Path = strings.ReplaceAll(r.Path, probeFileID, fileID(cfg))
				return r
			},
		})
	}
	return append(cases, Case{
		ID: fmt.Sprintf("files/%s/chat", slug), Endpoint: "chat", Fixtures: []string{fixture, "model"},
		Title:     fmt.Sprintf("%s as a file content part of a chat request", strings.ReplaceAll(slug, "-", " ")),
		Sends:     fmt.Sprintf(`a chat message with {"type": "file", "file": {"file_id": fixtures.%s}}`, fixture),
		Situation: situation,
		build: keyedChat(validKey, modelOf, func(cfg config.Config) map[string]any {
			return contentParts(filePart(fileID(cfg)))
		}),
	})
}

// CharsPerTokenBound is the most characters per token a target's
// tokenizer may count (an estimator of characters/4, a BPE tokenizer on
// repeated words) for which the context case still exceeds the window.
const CharsPerTokenBound = 4

// contextPrompt exceeds a context window under any tokenizer that counts
// between 1 and CharsPerTokenBound characters per token: it is
// CharsPerTokenBound × (window + 10% + 16) characters of "hi " repeated,
// so even a characters/4 estimate counts 1.1 × the window, and a tokenizer
// that spends a token on each "hi " (3 characters) counts about 1.47 ×. The
// body is about 4.4 bytes per token of window: at most about 44 MB at
// config.MaxContextWindow, 580 KB for a 131072-token window.
func contextPrompt(window int) string {
	chars := CharsPerTokenBound * (window + window/10 + 16)
	return strings.Repeat("hi ", chars/3+1)
}

func fixtureCases() []Case {
	textOnly := func(cfg config.Config) string { return cfg.Fixtures.TextOnlyModel }
	capability := func(slug, what string, part map[string]any) Case {
		return Case{ID: "capability/" + slug, Endpoint: "chat", Fixtures: []string{"text_only_model"},
			Title:     what + " sent to a text-only model",
			Sends:     fmt.Sprintf("a chat message with a %s part to fixtures.text_only_model", part["type"]),
			Situation: "capability-mismatch",
			build:     keyedChat(validKey, textOnly, fixed(contentParts(part))),
		}
	}
	cases := []Case{
		{ID: "billing/no-credits", Endpoint: "chat", Fixtures: []string{"no_credits_api_key", "model"},
			Title: "a well-formed request from an organization without credits", Sends: "a one-token chat request with fixtures.no_credits_api_key",
			Situation: "no-credits",
			build:     keyedChat(func(cfg config.Config) string { return cfg.Fixtures.NoCreditsAPIKey }, modelOf, nil)},
		{ID: "permission/restricted-model", Endpoint: "chat", Fixtures: []string{"restricted_api_key", "restricted_model"},
			Title: "a valid key calling a model it may not use", Sends: "a one-token chat request for fixtures.restricted_model with fixtures.restricted_api_key",
			Situation: "model-not-permitted",
			build: keyedChat(func(cfg config.Config) string { return cfg.Fixtures.RestrictedAPIKey },
				func(cfg config.Config) string { return cfg.Fixtures.RestrictedModel }, nil)},
		capability("image-url", "an image_url part", map[string]any{"type": "image_url", "image_url": map[string]any{"url": onePixelPNG}}),
		capability("video-url", "a video_url part", map[string]any{"type": "video_url", "video_url": map[string]any{"url": "data:video/mp4;base64,AAAAIGZ0eXBpc29t"}}),
		// Inline file_data, so that no file lookup can come before the
		// capability check: the case means the capability alone.
		capability("file-part", "a file part", map[string]any{"type": "file", "file": map[string]any{
			"filename": "errconform-probe.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQKJSVFT0YK"}}),
		{ID: "context/length-exceeded", Endpoint: "chat", Fixtures: []string{"model", "context_window"},
			Title: "a prompt longer than the model's context window", Sends: "a prompt of 4.4 × fixtures.context_window characters (\"hi \" repeated): over the window at anything from 1 to 4 characters per token",
			Situation: "context-length-exceeded",
			build: keyedChat(validKey, modelOf, func(cfg config.Config) map[string]any {
				return map[string]any{"messages": []any{map[string]any{"role": "user", "content": contextPrompt(cfg.Fixtures.ContextWindow)}}}
			})},
		{ID: "ratelimit/burst", Endpoint: "models-list", Fixtures: []string{"rate_limited_api_key"}, Burst: true, Alone: true,
			Title: "a burst on a rate-limited key until the first 429; every answer before it a 200", Labels: []string{"alone"},
			Sends: "GET /models (or a one-token chat request, with fixtures.rate_limit_endpoint: chat) with fixtures.rate_limited_api_key, " +
				"one after another, stopping at the first 429 or after fixtures.rate_limit_burst requests",
			Situation: "rate-limited", Expect: check.Expectation{IfAccepted: "the rate limit never answered"},
			build: func(cfg config.Config) probe.Request {
				key := cfg.Fixtures.RateLimitedAPIKey
				if cfg.Fixtures.RateLimitEndpoint == config.RateLimitOnChat {
					return rawChat(cfg, key, chatBody(modelOf(cfg), nil))
				}
				return endpointByName("models-list").keyed(cfg, key)
			}},
		{ID: "fault/internal-error", Endpoint: "chat", Fixtures: []string{"internal_error_header"},
			Title: "a request carrying the fault header that makes the target fail", Sends: "a one-token chat request with fixtures.internal_error_header",
			Situation: "internal-error", Expect: check.Expectation{IfAccepted: "the fault header had no effect"},
			build: func(cfg config.Config) probe.Request {
				name, value, _ := config.SplitHeader(cfg.Fixtures.InternalErrorHeader)
				return requestHeader(keyedChat(validKey, modelOf, nil)(cfg), name, value)
			}},
		{ID: "upstream/unreachable-model", Endpoint: "chat", Fixtures: []string{"unreachable_model"},
			Title: "a model whose upstream cannot be reached", Sends: "a one-token chat request for fixtures.unreachable_model",
			Situation: "upstream-unreachable", Expect: check.Expectation{IfAccepted: "the request for the unreachable model succeeded: its upstream was reached after all"},
			build: keyedChat(validKey, func(cfg config.Config) string { return cfg.Fixtures.UnreachableModel }, nil)},
		{ID: "upstream/slow-model", Endpoint: "chat", Fixtures: []string{"slow_model"}, Labels: []string{"slow"},
			Title: "a model slower than the gateway timeout", Sends: "a one-token chat request for fixtures.slow_model",
			Situation: "upstream-timeout", Expect: check.Expectation{IfAccepted: "the request for the slow model succeeded: no gateway timeout happened"},
			build: keyedChat(validKey, func(cfg config.Config) string { return cfg.Fixtures.SlowModel }, nil)},
	}
	cases = append(cases, fileCases("foreign-file", "foreign_file_id", fileNotFound,
		func(cfg config.Config) string { return cfg.Fixtures.ForeignFileID })...)
	cases = append(cases, fileCases("expired-file", "expired_file_id", fileExpired,
		func(cfg config.Config) string { return cfg.Fixtures.ExpiredFileID })...)
	return cases
}
