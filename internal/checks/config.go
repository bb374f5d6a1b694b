package checks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigFile is the name of the per-repository configuration file.
const ConfigFile = ".contractbot.yaml"

// maxConfigBytes bounds what a repository can make us parse.
const maxConfigBytes = 64 << 10

// Config is a repository's .contractbot.yaml:
//
//	service: web-api          # default: the repository's directory name
//	soa_dir: yelpsoa-configs  # a soa tree inside the repository
//	review_comments: errors   # off | errors | all (default all)
//	review_event: comment     # comment | request_changes (default comment)
//	fix_pull_requests: true   # the App opens a pull request with the fixes
//	rules:
//	  makefile.cook-image: off
//	  soa.jenkins-yaml: error
//
// Parsing is strict: an unknown key, a bad value or an unknown rule id is an
// error that names the key and its line, because a silently ignored typo in a
// config file is a rule silently not applied.
type Config struct {
	Service        string
	SOADir         string
	ReviewComments string
	// ReviewEvent is "request_changes" when a review that carries errors
	// should block the pull request; the default, "", means comment only.
	ReviewEvent string
	// FixPullRequests is fix_pull_requests: nil when the file does not
	// say, so that a repository can opt out of an organisation-wide
	// default (CONTRACTBOT_FIX_PULL_REQUESTS) as well as opt in.
	FixPullRequests *bool
	Rules           map[string]RuleSetting

	// ServiceLine and SOADirLine are where service and soa_dir are set, so
	// that a problem with their values is reported at its line.
	ServiceLine, SOADirLine int

	// Problem, when set, is why contractbot cannot use the file: the run
	// then reports it as one config.invalid finding and checks nothing
	// else, since every setting of a broken file is suspect.
	Problem *ConfigError
}

// RuleSetting is one entry of the rules map, remembered with its line so
// that an unknown rule id can be reported where it was written.
type RuleSetting struct {
	Severity Severity
	Line     int
}

// ConfigError is a problem in .contractbot.yaml at a line.
type ConfigError struct {
	Path string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// LoadConfig reads, parses and validates the .contractbot.yaml at the root
// of repo; a missing file (or a nil repo) means the defaults. A file
// contractbot cannot use comes back as a Config whose Problem says why;
// the error is only for a file that could not be read (a retry may
// succeed). It reads at most maxConfigBytes+1 bytes, so a hostile
// repository's giant config costs no more memory than a normal one.
func LoadConfig(repo fs.FS) (*Config, error) {
	if repo == nil {
		return &Config{}, nil
	}
	f, err := repo.Open(ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		// A link that leads out of the tree reads as missing; say so
		// rather than check by the defaults the owners did not choose.
		if fi, lerr := lstat(repo, ConfigFile); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return &Config{Problem: &ConfigError{Path: ConfigFile, Msg: "a symbolic link, which contractbot does not follow: make .contractbot.yaml a plain file"}}, nil
		}
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return &Config{Problem: &ConfigError{Path: ConfigFile, Msg: "not a regular file: make .contractbot.yaml a plain file"}}, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	cfg, err := ParseConfig(ConfigFile, data)
	if err == nil {
		err = cfg.checkRuleIDs(All())
	}
	var ce *ConfigError
	switch {
	case errors.As(err, &ce):
		return &Config{Problem: ce}, nil
	case err != nil:
		return nil, err
	}
	return cfg, nil
}

// withProblem returns the configuration of a file with problem: none of
// its settings count. c itself is left alone (the App caches
// configurations).
func (c *Config) withProblem(problem *ConfigError) *Config {
	return &Config{Problem: problem}
}

// ParseConfig parses the bytes of a .contractbot.yaml. path is only used in
// error messages. Rule ids are checked later against an engine
// ([LoadConfig] does), since the parser does not know the rule set.
func ParseConfig(path string, data []byte) (*Config, error) {
	if len(data) > maxConfigBytes {
		return nil, &ConfigError{Path: path, Msg: fmt.Sprintf("file is larger than %d bytes", maxConfigBytes)}
	}
	cfg := &Config{}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil // an empty file means the defaults
		}
		return nil, &ConfigError{Path: path, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{Path: path, Line: root.Line, Msg: "the file must be a mapping of settings"}
	}
	str := func(k, v *yaml.Node) (string, error) {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return "", &ConfigError{Path: path, Line: v.Line, Msg: fmt.Sprintf("%s must be a string", k.Value)}
		}
		return v.Value, nil
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, &ConfigError{Path: path, Line: k.Line, Msg: fmt.Sprintf("key %q appears twice", k.Value)}
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "service":
			cfg.Service, err = str(k, v)
			cfg.ServiceLine = v.Line
			if err == nil && !servicePattern.MatchString(cfg.Service) {
				err = &ConfigError{Path: path, Line: v.Line, Msg: fmt.Sprintf("service %q is not a service name: write the name of the service's directory in yelpsoa-configs (letters, digits, ., _ and -)", cfg.Service)}
			}
		case "soa_dir":
			cfg.SOADir, err = str(k, v)
			cfg.SOADirLine = v.Line
		case "review_comments":
			cfg.ReviewComments, err = str(k, v)
			if err == nil && cfg.ReviewComments != "off" && cfg.ReviewComments != "errors" && cfg.ReviewComments != "all" {
				err = &ConfigError{Path: path, Line: v.Line, Msg: fmt.Sprintf("review_comments is %q; want off, errors or all", cfg.ReviewComments)}
			}
		case "review_event":
			cfg.ReviewEvent, err = str(k, v)
			if err == nil && cfg.ReviewEvent != "comment" && cfg.ReviewEvent != "request_changes" {
				err = &ConfigError{Path: path, Line: v.Line, Msg: fmt.Sprintf("review_event is %q; want comment or request_changes", cfg.ReviewEvent)}
			}
		case "fix_pull_requests":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
				err = &ConfigError{Path: path, Line: v.Line, Msg: fmt.Sprintf("fix_pull_requests is %q; want true or false", v.Value)}
			}
			cfg.FixPullRequests = &b
		case "rules":
			err = parseRuleSettings(path, v, cfg)
		default:
			err = &ConfigError{Path: path, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (known: service, soa_dir, review_comments, review_event, fix_pull_requests, rules)", k.Value)}
		}
		if err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func parseRuleSettings(path string, v *yaml.Node, cfg *Config) error {
	if v.Kind != yaml.MappingNode {
		return &ConfigError{Path: path, Line: v.Line, Msg: "rules must map rule ids to error, warning, notice or off"}
	}
	cfg.Rules = make(map[string]RuleSetting, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		id, sev := v.Content[i], v.Content[i+1]
		if _, dup := cfg.Rules[id.Value]; dup {
			return &ConfigError{Path: path, Line: id.Line, Msg: fmt.Sprintf("rule %q appears twice", id.Value)}
		}
		// YAML 1.1 readers turn a bare off into false; accept it as "off".
		val := sev.Value
		if sev.Kind == yaml.ScalarNode && sev.Tag == "!!bool" && (val == "false" || val == "off") {
			val = "off"
		}
		s, err := ParseSeverity(val)
		if err != nil || sev.Kind != yaml.ScalarNode {
			return &ConfigError{Path: path, Line: sev.Line, Msg: fmt.Sprintf("rule %s: want error, warning, notice or off, found %q", id.Value, sev.Value)}
		}
		cfg.Rules[id.Value] = RuleSetting{Severity: s, Line: id.Line}
	}
	return nil
}

func (c *Config) checkRuleIDs(rules []*Rule) error {
	known := make(map[string]bool, len(rules))
	for _, r := range rules {
		known[r.ID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(c.Rules)) {
		if !known[id] {
			return &ConfigError{Path: ConfigFile, Line: c.Rules[id].Line, Msg: fmt.Sprintf("unknown rule %q (contractbot rules lists them)", id)}
		}
	}
	return nil
}

func (c *Config) severityOf(r *Rule) Severity {
	if s, ok := c.Rules[r.ID]; ok {
		return s.Severity
	}
	return r.Severity
}
