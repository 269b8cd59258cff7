package spec

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/errconform/errconform/config"
)

// The request schemas: OpenAI's published CreateChatCompletionRequest and
// CreateFileRequest with every schema they reference (OpenAPI 3.1, MIT;
// spec/requests/README.md says where they come from, and
// spec/requests/LICENSE.openai-openapi holds the notice).
//
//go:embed requests/openai-requests.json
var openAIRequests []byte

// The request schemas' names in a request schema document.
const (
	ChatRequestSchema = "CreateChatCompletionRequest"
	FileRequestSchema = "CreateFileRequest"
)

// RequestSchemas are the schemas of well-formed requests: what explore
// breaks one constraint at a time, and what the reference validates.
type RequestSchemas struct {
	// Chat is the schema of a chat completion request body.
	Chat *openapi3.Schema
	// Origin says where the document came from.
	Origin string
}

// DefaultRequestSchemas returns the embedded request schemas (OpenAI's).
func DefaultRequestSchemas() (*RequestSchemas, error) {
	rs, err := ParseRequestSchemas(openAIRequests)
	if err != nil {
		return nil, fmt.Errorf("spec: the embedded request schemas: %w", err)
	}
	rs.Origin = "built-in OpenAI request schemas (openai-openapi 2.3.0)"
	return rs, nil
}

// OpenRequestSchemas returns the request schemas of a document: "" for
// the embedded ones, else the path of an OpenAPI document (bounded like a
// contract) whose components hold CreateChatCompletionRequest.
func OpenRequestSchemas(path string) (*RequestSchemas, error) {
	if path == "" {
		return DefaultRequestSchemas()
	}
	data, err := config.ReadFileLimited(path, MaxContractBytes)
	if err != nil {
		return nil, fmt.Errorf("spec: read request schemas: %w", err)
	}
	rs, err := ParseRequestSchemas(data)
	if err != nil {
		return nil, fmt.Errorf("spec: request schemas %s: %w", path, err)
	}
	rs.Origin = path
	return rs, nil
}

// ParseRequestSchemas loads and validates a request schema document. Its
// references must be local: the loader fetches nothing.
func ParseRequestSchemas(data []byte) (*RequestSchemas, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loadDocument(loader, data)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	if doc.Components == nil {
		return nil, errors.New("the document has no components")
	}
	ref := doc.Components.Schemas[ChatRequestSchema]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("components.schemas.%s is missing", ChatRequestSchema)
	}
	return &RequestSchemas{Chat: ref.Value}, nil
}

// ValidateChat validates a decoded chat request body (encoding/json into
// an any) against the chat request schema, reporting every violation.
func (rs *RequestSchemas) ValidateChat(body any) error {
	return rs.Chat.VisitJSON(body, openapi3.MultiErrors())
}

// ValidChat reports whether a decoded chat request body is valid: the
// schema's verdict alone, without building the violations' messages
// (which costs far more than the check).
func (rs *RequestSchemas) ValidChat(body any) bool {
	return rs.Chat.VisitJSON(body, openapi3.FailFast()) == nil
}

// SchemaLeaves lists the innermost violations of a kin-openapi validation
// error: the SchemaErrors (inside MultiErrors and Origins) that hold no
// SchemaError themselves, in the order kin-openapi reports them.
func SchemaLeaves(err error) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	collectLeaves(err, &out)
	return out
}

func collectLeaves(err error, out *[]*openapi3.SchemaError) {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		for _, e := range me {
			collectLeaves(e, out)
		}
		return
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return
	}
	if se.Origin != nil {
		before := len(*out)
		collectLeaves(se.Origin, out)
		if len(*out) > before {
			return
		}
	}
	*out = append(*out, se)
}
