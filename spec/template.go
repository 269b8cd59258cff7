package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrorValues are the values an error body's placeholders stand for.
type ErrorValues struct {
	Status                     int
	Message, Type, Param, Code string
}

// RenderError encodes the contract's error body for one error: a copy of
// its error_template where a string that is exactly one placeholder
// ("{{message}}", "{{type}}", "{{param}}", "{{code}}") becomes the value,
// or JSON null where it is empty, "{{status}}" becomes the status as a
// number, and a placeholder among other text is replaced by its text.
func (c *Contract) RenderError(v ErrorValues) ([]byte, error) {
	if c.ErrorTemplate == nil {
		return nil, errors.New("the contract has no error_template")
	}
	data, err := json.Marshal(render(c.ErrorTemplate, v))
	if err != nil {
		return nil, fmt.Errorf("render the error_template of contract %s: %w", c.Name, err)
	}
	return data, nil
}

func render(template any, v ErrorValues) any {
	text := strings.NewReplacer("{{message}}", v.Message, "{{type}}", v.Type, "{{param}}", v.Param,
		"{{code}}", v.Code, "{{status}}", strconv.Itoa(v.Status))
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var walk func(any) any
	walk = func(node any) any {
		switch n := node.(type) {
		case map[string]any:
			out := make(map[string]any, len(n))
			for k, child := range n {
				out[k] = walk(child)
			}
			return out
		case []any:
			out := make([]any, len(n))
			for i, child := range n {
				out[i] = walk(child)
			}
			return out
		case string:
			switch n {
			case "{{message}}":
				return orNull(v.Message)
			case "{{type}}":
				return orNull(v.Type)
			case "{{param}}":
				return orNull(v.Param)
			case "{{code}}":
				return orNull(v.Code)
			case "{{status}}":
				return v.Status
			}
			return text.Replace(n)
		}
		return node
	}
	return walk(template)
}

// checkTemplate renders the error template for every outcome the contract
// gives a situation and validates each body against its ErrorResponse
// schema: the reference writes its errors from the template, so a template
// the schema refuses would fail every case it answers.
func (c *Contract) checkTemplate() error {
	for _, name := range c.SituationNames() {
		o := c.Situations[name]
		if !o.Covered() {
			continue
		}
		typ, _ := c.TypeFor(o.Status)
		data, err := c.RenderError(ErrorValues{Status: o.Status, Message: "A sample message.", Type: typ, Param: "sample_field", Code: o.Code})
		if err != nil {
			return fmt.Errorf("%s.error_template: %w", ContractExtension, err)
		}
		var body any
		if err := json.Unmarshal(data, &body); err != nil {
			return fmt.Errorf("%s.error_template: renders no JSON: %w", ContractExtension, err)
		}
		if err := c.ValidateError(body); err != nil {
			return fmt.Errorf("%s.error_template: the body it renders for situation %s (%s) does not match components.schemas.ErrorResponse: %s",
				ContractExtension, name, data, oneLine(err.Error()))
		}
	}
	return nil
}

// oneLine is an error's text on one line, cut to a readable length.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
