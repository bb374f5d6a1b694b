package fix

import (
	"errors"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

func lines(line, endLine int, text string) checks.TextEdit {
	return checks.TextEdit{Position: checks.Position{Path: "f", Line: line, EndLine: endLine}, NewText: text}
}

func cols(line, col, endLine, endCol int, text string) checks.TextEdit {
	return checks.TextEdit{Position: checks.Position{Path: "f", Line: line, Column: col, EndLine: endLine, EndColumn: endCol}, NewText: text}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		edits []checks.TextEdit
		want  string
	}{
		{"a whole-line edit replaces the line", "a\nb\nc\n", []checks.TextEdit{lines(2, 2, "B\n")}, "a\nB\nc\n"},
		{"a whole-line edit may replace several lines with more", "a\nb\nc\n", []checks.TextEdit{lines(1, 2, "x\ny\nz\n")}, "x\ny\nz\nc\n"},
		{"an empty text deletes the lines", "a\nb\nc\n", []checks.TextEdit{lines(2, 3, "")}, "a\n"},
		{"an end line before the line inserts", "a\nb\n", []checks.TextEdit{lines(2, 1, "x\n")}, "a\nx\nb\n"},
		{"inserting before line 1 puts text at the top", "a\n", []checks.TextEdit{lines(1, 0, "top\n")}, "top\na\n"},
		{"inserting after the last line appends", "a\n", []checks.TextEdit{lines(2, 1, "end\n")}, "a\nend\n"},
		{"a file without a final newline still has none after an append", "a\nb", []checks.TextEdit{lines(3, 2, "c\n")}, "a\nb\nc"},
		{"a file without a final newline still has none after its last line changes", "a\nb", []checks.TextEdit{lines(2, 2, "B\n")}, "a\nB"},
		{"a CRLF file keeps CRLF in new lines", "a\r\nb\r\n", []checks.TextEdit{lines(2, 1, "x\ny\n")}, "a\r\nx\r\ny\r\nb\r\n"},
		{"a CRLF file without a final newline keeps both", "a\r\nb", []checks.TextEdit{lines(2, 2, "B\n")}, "a\r\nB"},
		{"a byte-order mark stays before line 1", "\uFEFFa\nb\n", []checks.TextEdit{lines(1, 0, "top\n"), lines(1, 1, "A\n")}, "\uFEFFtop\nA\nb\n"},
		{"a column edit replaces bytes", "DOCKER_TAG := x\n", []checks.TextEdit{cols(1, 12, 1, 14, "?=")}, "DOCKER_TAG ?= x\n"},
		{"a column edit may span lines", "ab\ncd\n", []checks.TextEdit{cols(1, 2, 2, 2, "-")}, "a-d\n"},
		{"an empty column range inserts", "ab\n", []checks.TextEdit{cols(1, 2, 1, 2, "X")}, "aXb\n"},
		{"identical edits from two fixes apply once", "a\n", []checks.TextEdit{lines(2, 1, "b\n"), lines(2, 1, "b\n")}, "a\nb\n"},
		{"an insertion where a replacement starts goes first", "a\nb\n", []checks.TextEdit{lines(2, 2, "B\n"), lines(2, 1, "x\n")}, "a\nx\nB\n"},
		{"edits that only touch both apply", "abc\n", []checks.TextEdit{cols(1, 1, 1, 2, "A"), cols(1, 2, 1, 3, "B")}, "ABc\n"},
		{"a new file is made from insertions at line 1", "", []checks.TextEdit{lines(1, 0, "team: x\n")}, "team: x\n"},
		{"edits are applied in file order whatever their order", "a\nb\nc\n", []checks.TextEdit{lines(3, 3, "C\n"), lines(1, 1, "A\n")}, "A\nb\nC\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply([]byte(tt.src), tt.edits)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestApplyRefuses(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		edits []checks.TextEdit
		want  any // a pointer to the error type, or a sentinel
	}{
		{"overlapping line ranges conflict", "a\nb\nc\n", []checks.TextEdit{lines(1, 2, "x\n"), lines(2, 3, "y\n")}, new(*ConflictError)},
		{"two different edits of one line conflict", "a\n", []checks.TextEdit{lines(1, 1, "x\n"), lines(1, 1, "y\n")}, new(*ConflictError)},
		{"two different insertions at one point conflict", "a\n", []checks.TextEdit{lines(2, 1, "x\n"), lines(2, 1, "y\n")}, new(*ConflictError)},
		{"an insertion inside a replaced range conflicts", "abc\n", []checks.TextEdit{cols(1, 1, 1, 4, "X"), cols(1, 2, 1, 2, "i")}, new(*ConflictError)},
		{"a line past the end", "a\n", []checks.TextEdit{lines(3, 3, "x\n")}, new(*EditError)},
		{"a whole-line text without its newline", "a\n", []checks.TextEdit{lines(1, 1, "x")}, new(*EditError)},
		{"a column past its line", "ab\ncd\n", []checks.TextEdit{cols(1, 5, 1, 5, "x")}, new(*EditError)},
		{"a range that ends before it starts", "abcd\n", []checks.TextEdit{cols(1, 3, 1, 2, "x")}, new(*EditError)},
		{"a range that cuts a character", "é\n", []checks.TextEdit{cols(1, 2, 1, 3, "x")}, new(*EditError)},
		{"a file with NUL bytes", "a\x00b\n", []checks.TextEdit{lines(1, 1, "x\n")}, ErrNotText},
		{"a Latin-1 file", "caf\xe9\n", []checks.TextEdit{lines(1, 1, "x\n")}, ErrNotText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply([]byte(tt.src), tt.edits)
			switch want := tt.want.(type) {
			case error:
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			default:
				if err == nil || !errors.As(err, want) {
					t.Errorf("err = %v, want %T", err, want)
				}
			}
		})
	}
}
