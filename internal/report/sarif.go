package report

import (
	"context"
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
// It writes on Flush, once it has every result. A ref finding has no
// file: its location is a logical location named after the ref.
type SARIF struct {
	W       io.Writer
	Tool    Tool
	results []*checks.Result
}

var (
	_ Sink    = (*SARIF)(nil)
	_ Flusher = (*SARIF)(nil)
)

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
		RuleID           string          `json:"ruleId"`
		RuleIndex        int             `json:"ruleIndex"`
		Level            string          `json:"level"`
		Message          sarifText       `json:"message"`
		Locations        []sarifLocation `json:"locations"`
		RelatedLocations []sarifLocation `json:"relatedLocations,omitempty"`
		Fixes            []sarifFix      `json:"fixes,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
		Message          *sarifText     `json:"message,omitempty"`
	}
	sarifLogical struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
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
		EndColumn   int `json:"endColumn,omitempty"`
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

// Post implements [Sink].
func (s *SARIF) Post(_ context.Context, r *checks.Result) error {
	s.results = append(s.results, r)
	return nil
}

// physical is a SARIF physical location of a position.
func physical(p checks.Position) *sarifPhysical {
	return &sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: sarifURI(p.Path), URIBaseID: "%SRCROOT%"},
		Region:           sarifRegion{StartLine: p.Line, EndLine: p.EndLine, StartColumn: p.Column, EndColumn: p.EndColumn},
	}
}

// Flush implements [Flusher].
func (s *SARIF) Flush(context.Context) error {
	results := s.results
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
			HelpURI:              r.URL(),
			DefaultConfiguration: sarifRuleConf{LevelOf(r.Severity).SARIF},
		})
	}
	run := sarifRun{Tool: sarifTool{driver}, Results: []sarifResult{}}
	for _, r := range results {
		for _, f := range r.Findings {
			i, ok := index[f.RuleID]
			if !ok {
				i = -1 // not in the rule table; SARIF's "unknown" index
			}
			res := sarifResult{RuleID: f.RuleID, RuleIndex: i, Level: LevelOf(f.Severity).SARIF, Message: sarifText{f.Message}}
			if f.Path != "" {
				res.Locations = []sarifLocation{{PhysicalLocation: physical(f.Pos())}}
			} else {
				res.Locations = []sarifLocation{{LogicalLocations: []sarifLogical{{FullyQualifiedName: f.Subject, Kind: "ref"}}}}
			}
			for _, rel := range f.Related {
				res.RelatedLocations = append(res.RelatedLocations, sarifLocation{PhysicalLocation: physical(rel.Position), Message: &sarifText{rel.Message}})
			}
			for _, fix := range f.SuggestedFixes {
				sf := sarifFix{Description: sarifText{fix.Message}}
				for _, e := range fix.Edits {
					sf.ArtifactChanges = append(sf.ArtifactChanges, sarifArtifactChange{
						ArtifactLocation: sarifArtifact{URI: sarifURI(e.Path), URIBaseID: "%SRCROOT%"},
						Replacements: []sarifReplacement{{
							DeletedRegion:   sarifRegion{StartLine: e.Line, EndLine: e.EndLine, StartColumn: e.Column, EndColumn: e.EndColumn},
							InsertedContent: sarifText{e.NewText},
						}},
					})
				}
				res.Fixes = append(res.Fixes, sf)
			}
			run.Results = append(run.Results, res)
		}
	}
	enc := json.NewEncoder(s.W)
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
