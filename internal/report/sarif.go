package report

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// SARIF renders results as a SARIF 2.1.0 log with one run, the format
// GitHub code scanning uploads (github/codeql-action/upload-sarif). Rule
// metadata comes from the registry, so the help text in code scanning is the
// same as `contractbot rules` and docs/rules.md.
type SARIF struct {
	Tool Tool
}

var _ Printer = SARIF{}

// Only the parts of the SARIF object model that contractbot fills in.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string        `json:"id"`
		ShortDescription     sarifText     `json:"shortDescription"`
		FullDescription      sarifText     `json:"fullDescription"`
		Help                 sarifText     `json:"help"`
		HelpURI              string        `json:"helpUri,omitempty"`
		DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
	}
	sarifRuleConf struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations"`
		Fixes     []sarifFix      `json:"fixes,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           sarifRegion   `json:"region"`
	}
	sarifArtifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		EndLine     int `json:"endLine,omitempty"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	sarifFix struct {
		Description     sarifText             `json:"description"`
		ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
	}
	sarifArtifactChange struct {
		ArtifactLocation sarifArtifact      `json:"artifactLocation"`
		Replacements     []sarifReplacement `json:"replacements"`
	}
	sarifReplacement struct {
		DeletedRegion   sarifRegion `json:"deletedRegion"`
		InsertedContent sarifText   `json:"insertedContent"`
	}
)

var sarifLevel = map[checks.Severity]string{
	checks.SeverityError:   "error",
	checks.SeverityWarning: "warning",
	checks.SeverityNotice:  "note",
}

// Print implements [Printer].
func (s SARIF) Print(w io.Writer, results []*checks.Result) error {
	driver := sarifDriver{
		Name:           "contractbot",
		Version:        s.Tool.Version,
		InformationURI: "https://github.com/contractbot/contractbot",
		Rules:          []sarifRule{},
	}
	index := map[string]int{}
	for i, r := range s.Tool.Rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifText{r.Title},
			FullDescription:      sarifText{r.Doc},
			Help:                 sarifText{r.Doc},
			HelpURI:              driver.InformationURI + "/blob/main/" + r.URL(),
			DefaultConfiguration: sarifRuleConf{sarifLevel[r.Severity]},
		})
	}
	run := sarifRun{Tool: sarifTool{driver}, Results: []sarifResult{}}
	for _, r := range results {
		for _, f := range r.Findings {
			i, ok := index[f.RuleID]
			if !ok {
				i = -1 // not in the rule table; SARIF's "unknown" index
			}
			res := sarifResult{
				RuleID: f.RuleID, RuleIndex: i, Level: sarifLevel[f.Severity],
				Message: sarifText{f.Message},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: sarifURI(f.Path), URIBaseID: "%SRCROOT%"},
					Region:           sarifRegion{StartLine: f.Line, EndLine: f.EndLine},
				}}},
			}
			if f.Fix != nil {
				res.Fixes = []sarifFix{{
					Description: sarifText{f.Fix.Message},
					ArtifactChanges: []sarifArtifactChange{{
						ArtifactLocation: sarifArtifact{URI: sarifURI(f.Fix.Path), URIBaseID: "%SRCROOT%"},
						Replacements: []sarifReplacement{{
							DeletedRegion:   sarifRegion{StartLine: f.Fix.Line, EndLine: f.Fix.EndLine},
							InsertedContent: sarifText{f.Fix.Replacement},
						}},
					}},
				}}
			}
			run.Results = append(run.Results, res)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// sarifURI turns a slash-separated repository path into the relative URI
// reference SARIF wants: a file named "a b#1.yaml" must not become a URI
// whose "#1.yaml" is a fragment, and a colon is escaped so that "c:d/x"
// cannot read as a scheme.
func sarifURI(p string) string {
	return strings.ReplaceAll((&url.URL{Path: p}).EscapedPath(), ":", "%3A")
}
