package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

func TestRulesDocIsUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := writeRulesMarkdown(&buf, checks.All()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("docs/rules.md is stale: run `go run ./cmd/contractbot rules --format markdown > docs/rules.md`")
	}
}
