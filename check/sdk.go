package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// replayTransport answers every request with one recorded response: the SDK
// parses exactly what the target sent, and nothing goes on the network.
type replayTransport struct {
	status int
	header http.Header
	body   []byte
}

func (t replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: t.status, Status: fmt.Sprintf("%d %s", t.status, http.StatusText(t.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: t.header.Clone(), Body: io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)), Request: req,
	}, nil
}

// sdkBaseURL is never dialled: replayTransport answers in memory.
const sdkBaseURL = "http://sdk-replay.invalid/v1/"

// parseWithSDK hands a recorded response to the official Go SDK as an
// application would meet it (one call, retries off) and returns its error.
func parseWithSDK(status int, header http.Header, body []byte) error {
	// A bare model service reads no environment (OPENAI_BASE_URL, …), so
	// the verdict depends on the recorded response alone.
	models := openai.NewModelService(
		option.WithBaseURL(sdkBaseURL),
		option.WithAPIKey("errconform-sdk-replay"),
		option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: replayTransport{status: status, header: header, body: body},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}),
	)
	_, err := models.Get(context.Background(), "errconform-sdk-replay")
	return err
}

func checkSDK(in *input) []Finding {
	if in.resp == nil || in.ex.Failure != "" || in.midStream || jsonTooLarge(in.resp.Body) != "" {
		return nil // a body too large to decode: the json rule has said so
	}
	err := parseWithSDK(in.resp.Status, in.resp.Header, in.resp.Body)
	if err == nil {
		return []Finding{{Expected: "the SDK's typed *openai.Error", Actual: "success",
			Message: fmt.Sprintf("the official SDK treats this %d response as a success, so an application never sees the error", in.resp.Status)}}
	}
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		return []Finding{{Expected: "the SDK's typed *openai.Error", Actual: fmt.Sprintf("%T", err),
			Message: "the official SDK cannot parse this error: " + oneLine(err.Error())}}
	}
	var findings []Finding
	if apiErr.StatusCode != in.resp.Status {
		findings = append(findings, mismatch(fmt.Sprintf("SDK status %d", in.resp.Status), fmt.Sprintf("%d", apiErr.StatusCode), ""))
	}
	sdkFields := []struct {
		name  string
		value string
		valid bool
		raw   string
	}{
		{"message", apiErr.Message, apiErr.JSON.Message.Valid(), apiErr.JSON.Message.Raw()},
		{"type", apiErr.Type, apiErr.JSON.Type.Valid(), apiErr.JSON.Type.Raw()},
		{"code", apiErr.Code, apiErr.JSON.Code.Valid(), apiErr.JSON.Code.Raw()},
		{"param", apiErr.Param, apiErr.JSON.Param.Valid(), apiErr.JSON.Param.Raw()},
	}
	var empty []string
	for _, f := range sdkFields {
		bodyValue, present := in.field(f.name)
		pointer := "/error/" + f.name
		switch want := bodyValue.(type) {
		case string:
			if !f.valid || f.value != want {
				findings = append(findings, Finding{Expected: fmt.Sprintf("%q", want), Actual: fmt.Sprintf("%q", f.value), Pointer: pointer,
					Message: fmt.Sprintf("the SDK's Error.%s is %q, but the body says %q", exported(f.name), f.value, want)})
			}
		case nil:
			if (f.name == "message" || f.name == "type") && f.value == "" {
				empty = append(empty, "Error."+exported(f.name))
			}
		default:
			if !present {
				break
			}
			findings = append(findings, Finding{Expected: "a string or null", Actual: describe(bodyValue, true), Pointer: pointer,
				Message: fmt.Sprintf("error.%s is %s, not a string or null: the SDK's Error.%s reads %q (raw %s, valid=%t)", f.name, describe(bodyValue, true), exported(f.name), f.value, f.raw, f.valid)})
		}
	}
	if len(empty) > 0 {
		findings = append(findings, Finding{Expected: "Error.Message and Error.Type", Actual: strings.Join(empty, " and ") + " empty",
			Message: fmt.Sprintf("the SDK's typed error has %s empty: an application has nothing to show or branch on", strings.Join(empty, " and "))})
	}
	return findings
}

func exported(name string) string {
	return string(name[0]-'a'+'A') + name[1:]
}
