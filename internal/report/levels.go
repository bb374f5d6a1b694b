package report

import "github.com/contractbot/contractbot/internal/checks"

// Level is a severity's name in each format that grades findings.
type Level struct {
	SARIF      string // result.level: error, warning, note
	Annotation string // check-run annotation_level: failure, warning, notice
	Workflow   string // GitHub Actions workflow command: error, warning, notice
}

// LevelOf maps a severity onto every format, one to one: the one severity
// table of contractbot.
func LevelOf(s checks.Severity) Level {
	switch s {
	case checks.SeverityError:
		return Level{SARIF: "error", Annotation: "failure", Workflow: "error"}
	case checks.SeverityWarning:
		return Level{SARIF: "warning", Annotation: "warning", Workflow: "warning"}
	default:
		return Level{SARIF: "note", Annotation: "notice", Workflow: "notice"}
	}
}
