package checks

import (
	"context"
	"errors"
	"fmt"
)

func configRules() []*Rule {
	return []*Rule{{
		ID:       "config.invalid",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the repository's .contractbot.yaml cannot be used",
		Doc: "A .contractbot.yaml that does not parse, names an unknown key or an unknown rule id, or gives a " +
			"severity other than error, warning, notice or off is refused as a whole: a silently ignored typo " +
			"would be a rule silently not applied. The CLI stops with the message (exit 2); the pre-receive " +
			"hook and the GitHub App report it as this finding, at the offending line. Fix the line the message " +
			"names (`contractbot rules` lists the rule ids).",
		Run: func(_ context.Context, p *Pass) error {
			if p.Config.parsed {
				return nil // the driver parsed it, and the engine checked its rule ids
			}
			cfg, err := ReadConfig(p.Repo)
			if err == nil {
				err = cfg.checkRuleIDs(All())
			}
			if err != nil {
				f := ConfigFinding(err)
				p.Report(Finding{Path: f.Path, Line: f.Line, Message: f.Message})
			}
			return nil
		},
	}}
}

// ConfigFinding turns a problem with .contractbot.yaml into a config.invalid
// finding at the line it names, for drivers that report rather than stop
// (the pre-receive hook, the GitHub App).
func ConfigFinding(err error) Finding {
	f := Finding{RuleID: "config.invalid", Severity: SeverityError, Path: ConfigFile, Line: 1, EndLine: 1,
		Message: fmt.Sprintf("%v: fix the file so that contractbot can check this repository", err)}
	var ce *ConfigError
	if errors.As(err, &ce) {
		f.Line, f.EndLine, f.Message = max(ce.Line, 1), max(ce.Line, 1), ce.Msg
	}
	return f
}
