package config

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TargetConfig is one entry of a config's targets: list, a named target
// with its own settings. Every key but name is optional; a key it leaves
// out is inherited from the top level of the file (nested sections merge
// key by key: a target's fixtures.model overrides the top level's, its
// other fixtures are inherited). base_url, timeout, gateway_timeout and
// headers are what target: holds for a single-target config.
type TargetConfig struct {
	// Name names the target in every report and metric: unique in the
	// file, label-safe (letters, digits, '.', '_', '-'; at most 63
	// characters, starting and ending with a letter or digit).
	Name           string            `yaml:"name"`
	BaseURL        string            `yaml:"base_url,omitempty"`
	Timeout        Duration          `yaml:"timeout,omitempty"`
	GatewayTimeout Duration          `yaml:"gateway_timeout,omitempty"`
	Headers        map[string]string `yaml:"headers,omitempty"`
	Auth           Auth              `yaml:"auth,omitempty"`
	Fixtures       Fixtures          `yaml:"fixtures,omitempty"`
	Limits         Limits            `yaml:"limits,omitempty"`
	TLS            TLS               `yaml:"tls,omitempty"`
	Require        []string          `yaml:"require,omitempty"`
	Strict         bool              `yaml:"strict,omitempty"`
	Contract       string            `yaml:"contract,omitempty"`
	Explore        Explore           `yaml:"explore,omitempty"`
	Baseline       Baseline          `yaml:"baseline,omitempty"`
	FailOn         string            `yaml:"fail_on,omitempty"`
}

// Member is one target of a fleet config, resolved: its name, and its
// configuration with the top level's settings inherited (defaults applied,
// not yet validated: the runner merges flags and environment first).
type Member struct {
	Name string
	// Index is the target's position in targets: (for field names).
	Index  int
	Config Config
	// own are the dotted keys (in Config's shape: target.base_url) the
	// target's entry sets itself; set are those set by the entry or the
	// top level.
	own, set map[string]bool
}

// targetKeys are the entry keys that belong under target: in a
// single-target config.
var targetKeys = map[string]bool{"base_url": true, "timeout": true, "gateway_timeout": true, "headers": true}

// Field names a field of the member's configuration as the file wrote it:
// targets[2].base_url for a key the entry sets (target.base_url in
// Config's shape), the top level's own name for an inherited one.
func (m Member) Field(field string) string {
	if field == "" {
		return fmt.Sprintf("targets[%d]", m.Index)
	}
	key := field
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	if !m.owns(key) && m.set[key] {
		return field + fmt.Sprintf(" (inherited by targets[%d], %s)", m.Index, m.Name)
	}
	if rest, ok := strings.CutPrefix(field, "target."); ok {
		field = rest
	}
	return fmt.Sprintf("targets[%d].%s", m.Index, field)
}

// owns reports whether the entry sets key or a section holding it.
func (m Member) owns(key string) bool {
	for k := key; k != ""; {
		if m.own[k] {
			return true
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return false
}

// Sets reports whether the file sets the dotted key (target.timeout) for
// this member, in its entry or at the top level: a default must not hide
// a value the contract gives.
func (m Member) Sets(key string) bool { return m.set[key] }

// Rename rewrites a validation error of the member's configuration so
// that it names the field as the file wrote it.
func (m Member) Rename(err error) error {
	if ce, ok := err.(*Error); ok && ce != nil {
		out := *ce
		out.Field = m.Field(ce.Field)
		return &out
	}
	return err
}

// labelSafe is what a target's name may be: a Kubernetes label value,
// usable as a Prometheus label, a JUnit suite and a file name.
var labelSafe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`)

// ValidTargetName reports why a target name is not label-safe, or "".
func ValidTargetName(name string) string {
	if name == "" {
		return "is required: every target has a unique name"
	}
	if !labelSafe.MatchString(name) {
		return fmt.Sprintf("%q is not label-safe: letters, digits, '.', '_' and '-', at most 63 characters, starting and ending with a letter or digit", name)
	}
	return ""
}

// MaxTargets bounds a fleet: each target has its own client (and perhaps
// an embedded reference), so a config cannot make one run unbounded.
const MaxTargets = 256

// fleetMembers builds the members of a config whose root mapping (already
// ${VAR}-expanded and strictly decoded) has a targets: list: for each
// entry, the top level without targets:, with the entry's keys merged over
// it, decoded into a Config. headerEnv maps a header's path
// (target.headers.X, targets[0].headers.X) to the variable its value came
// from; refs are every ${VAR} the file read, which every member's
// outputs redact.
//
// Its complexity (28) is the per-entry checks (unknown keys, duplicate
// names, a member overriding what only the top level sets), each with its
// own error naming the entry: one walk over the entries keeps them in the
// file's order.
func fleetMembers(name string, root *yaml.Node, headerEnv map[string]string, refs []EnvRef) ([]Member, error) {
	doc := topMapping(root)
	list := member(doc, "targets")
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, &Error{File: name, Field: "targets", Msg: "must be a non-empty list of targets, each with a name and a base_url"}
	}
	if len(list.Content) > MaxTargets {
		return nil, &Error{File: name, Field: "targets", Msg: fmt.Sprintf("lists %d targets; at most %d run in one process (split the fleet across configs or shards)", len(list.Content), MaxTargets)}
	}
	top := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "targets" {
			top.Content = append(top.Content, doc.Content[i], doc.Content[i+1])
		}
	}
	if t := member(top, "target"); t != nil && member(t, "base_url") != nil {
		return nil, &Error{File: name, Field: "target.base_url", Msg: "cannot be set beside targets: each target names its own base_url (target: keeps the settings they share: timeout, gateway_timeout, headers)"}
	}
	if t := member(top, "target"); t != nil && member(t, "name") != nil {
		return nil, &Error{File: name, Field: "target.name", Msg: "cannot be set beside targets: each entry of targets: has its own name"}
	}
	topSet := dottedKeys(top, "")
	seen := map[string]int{}
	var members []Member
	for i, entry := range list.Content {
		if entry.Kind != yaml.MappingNode {
			return nil, &Error{File: name, Field: fmt.Sprintf("targets[%d]", i), Msg: "must be a mapping with a name and a base_url"}
		}
		shaped := &yaml.Node{Kind: yaml.MappingNode}
		target := &yaml.Node{Kind: yaml.MappingNode}
		targetName := ""
		for j := 0; j+1 < len(entry.Content); j += 2 {
			key, value := entry.Content[j], entry.Content[j+1]
			switch {
			case key.Value == "name":
				targetName = value.Value
			case targetKeys[key.Value]:
				target.Content = append(target.Content, key, value)
			default:
				shaped.Content = append(shaped.Content, key, value)
			}
		}
		if len(target.Content) > 0 {
			shaped.Content = append(shaped.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "target"}, target)
		}
		if why := ValidTargetName(targetName); why != "" {
			return nil, &Error{File: name, Field: fmt.Sprintf("targets[%d].name", i), Msg: why}
		}
		if j, dup := seen[targetName]; dup {
			return nil, &Error{File: name, Field: fmt.Sprintf("targets[%d].name", i), Msg: fmt.Sprintf("%q is also the name of targets[%d]: names must be unique", targetName, j)}
		}
		seen[targetName] = i
		if member(target, "base_url") == nil {
			return nil, &Error{File: name, Field: fmt.Sprintf("targets[%d].base_url", i), Msg: "is required: the target's base URL, ending in /v1, or \"reference\" for an embedded reference"}
		}
		base := top
		if member(shaped, "baseline") != nil {
			// An entry's baseline is another party's identity: it
			// replaces the top level's whole, never merged key by key.
			base = withoutKey(top, "baseline")
		}
		merged := mergeNodes(base, shaped)
		data, err := yaml.Marshal(merged)
		if err != nil {
			return nil, &Error{File: name, Field: fmt.Sprintf("targets[%d]", i), Msg: err.Error()}
		}
		var cfg Config
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			return nil, &Error{File: name, Field: fmt.Sprintf("targets[%d]", i), Msg: cleanYAMLError(err)}
		}
		cfg.Targets = nil
		cfg.Env = refs
		env := map[string]string{}
		for header := range cfg.Target.Headers {
			if v, ok := headerEnv[fmt.Sprintf("targets[%d].headers.%s", i, header)]; ok {
				env[header] = v
			} else if v, ok := headerEnv["target.headers."+header]; ok && !hasKey(target, "headers", header) {
				env[header] = v
			}
		}
		if len(env) > 0 {
			cfg.Target.HeaderEnv = env
		}
		if member(shaped, "baseline") != nil {
			cfg.Baseline.HeaderEnv = baselineHeaderEnv(headerEnv, fmt.Sprintf("targets[%d].", i))
		} else {
			cfg.Baseline.HeaderEnv = baselineHeaderEnv(headerEnv, "")
		}
		cfg.ApplyDefaults()
		set := dottedKeys(merged, "")
		for k := range topSet {
			set[k] = true
		}
		members = append(members, Member{Name: targetName, Index: i, Config: cfg, own: dottedKeys(shaped, ""), set: set})
	}
	return members, nil
}

// topMapping is a parsed file's top-level node: the document's content.
func topMapping(root *yaml.Node) *yaml.Node {
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		return root.Content[0]
	}
	return root
}

// withoutKey is the mapping n without its member key.
func withoutKey(n *yaml.Node, key string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: n.Tag}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != key {
			out.Content = append(out.Content, n.Content[i], n.Content[i+1])
		}
	}
	return out
}

// hasKey reports whether the mapping n has section.key.
func hasKey(n *yaml.Node, section, key string) bool { return member(member(n, section), key) != nil }

// member is the value of a mapping node's member, or nil.
func member(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i+1]
		}
	}
	return nil
}

// mergeNodes is base with over's keys merged in: mappings merge key by
// key, anything else (a scalar, a list) is replaced whole.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	if base == nil || base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: base.Tag}
	index := map[string]int{}
	for i := 0; i+1 < len(base.Content); i += 2 {
		index[base.Content[i].Value] = len(out.Content)
		out.Content = append(out.Content, base.Content[i], base.Content[i+1])
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		key, value := over.Content[i], over.Content[i+1]
		if at, ok := index[key.Value]; ok {
			out.Content[at+1] = mergeNodes(out.Content[at+1], value)
			continue
		}
		index[key.Value] = len(out.Content)
		out.Content = append(out.Content, key, value)
	}
	return out
}

// dottedKeys lists every key path of a mapping node (target,
// target.base_url, …).
func dottedKeys(n *yaml.Node, prefix string) map[string]bool {
	out := map[string]bool{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := prefix + n.Content[i].Value
		out[key] = true
		for k := range dottedKeys(n.Content[i+1], key+".") {
			out[k] = true
		}
	}
	return out
}
