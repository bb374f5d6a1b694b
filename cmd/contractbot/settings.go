package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// setting is one setting of a command, written once: its flag, the
// environment variable (for serve, which a container configures) or git
// config key (contractbot.<GitKey>, for the hook, which git servers
// configure per repository or once for all) that may set it instead, its
// usage and its value, which parses and holds it. A flag given on the
// command line wins over both; the value's initial state is the default.
type setting struct {
	Flag, Env, GitKey, Usage string
	Value                    flag.Value
}

// register adds every setting's flag to fs, naming its environment
// variable or git config key in the usage, and applies the environment
// (lookupEnv is os.LookupEnv but in tests): validated once, here, with
// one-line errors that name the variable.
func register(fs *flag.FlagSet, ss []setting, lookupEnv func(string) (string, bool)) error {
	for _, s := range ss {
		usage := s.Usage
		switch {
		case s.Env != "":
			usage += " (env " + s.Env + ")"
			if v, ok := lookupEnv(s.Env); ok {
				if err := s.Value.Set(v); err != nil {
					return fmt.Errorf("%s=%q: %w", s.Env, v, err)
				}
			}
		case s.GitKey != "":
			usage += " (git config contractbot." + s.GitKey + ")"
		}
		fs.Var(s.Value, s.Flag, usage)
	}
	return nil
}

// fromGitConfig sets the settings that were not given as flags from the
// repository's git config (contractbot.* keys; system and global config
// apply too, so a server can set them once for every repository). An
// unknown contractbot.* key is an error, so that a typo is not a setting
// silently ignored.
func fromGitConfig(ctx context.Context, git string, fs *flag.FlagSet, ss []setting) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	out, err := exec.CommandContext(ctx, git, "config", "-z", "--get-regexp", `^contractbot\.`).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return nil // no contractbot.* keys
	}
	if err != nil {
		return fmt.Errorf("read git config: %w", err)
	}
	byKey := map[string]setting{}
	var known []string
	for _, s := range ss {
		if s.GitKey != "" {
			byKey[strings.ToLower(s.GitKey)] = s
			known = append(known, s.GitKey)
		}
	}
	for _, kv := range bytes.Split(out, []byte{0}) {
		if len(kv) == 0 {
			continue
		}
		key, val, _ := strings.Cut(string(kv), "\n")
		s, ok := byKey[strings.TrimPrefix(strings.ToLower(key), "contractbot.")]
		if !ok {
			return fmt.Errorf("git config %s: unknown contractbot setting (known: %s)", key, strings.Join(known, ", "))
		}
		if set[s.Flag] {
			continue
		}
		if err := s.Value.Set(val); err != nil {
			return fmt.Errorf("git config %s=%q: %w", key, val, err)
		}
	}
	return nil
}

// stringValue is a string setting.
type stringValue struct{ p *string }

func (v stringValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v stringValue) Set(s string) error { *v.p = s; return nil }

// listValue collects a repeatable setting.
type listValue struct{ p *[]string }

func (v listValue) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}
func (v listValue) Set(s string) error { *v.p = append(*v.p, s); return nil }

// durationValue is a time.Duration setting.
type durationValue struct{ p *time.Duration }

func (v durationValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 4s or 1m30s")
	}
	*v.p = d
	return nil
}

// boolValue is a boolean setting, spelt as git config spells booleans.
type boolValue struct{ p *bool }

func (v boolValue) String() string   { return fmt.Sprint(v.p != nil && *v.p) }
func (v boolValue) IsBoolFlag() bool { return true }

func (v boolValue) Set(s string) error {
	b, ok := gitBool(s)
	if !ok {
		return errors.New("want true or false")
	}
	*v.p = b
	return nil
}

// gitBool parses a boolean as git config does.
func gitBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", "":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}
