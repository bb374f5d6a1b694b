package soa

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestDockerfileExposesReadsTheLinesAsBuildKitDoes(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		want       []Expose
	}{
		{"a heredoc body is not an instruction", "FROM x\nRUN <<EOF\nEXPOSE 9000\nEOF\nEXPOSE 8888\n", []Expose{{8888, 5}}},
		{"a comment line inside a continued instruction is dropped", "EXPOSE 8888 \\\n# 9000\n  9001\n", []Expose{{8888, 1}, {9001, 1}}},
		{"the escape directive changes the continuation character", "# escape=`\nFROM x\nEXPOSE 8888 `\n  9000\n", []Expose{{8888, 3}, {9000, 3}}},
		{"a continuation before a CRLF line end continues", "EXPOSE 8888 \\\r\n  9000\r\n", []Expose{{8888, 1}, {9000, 1}}},
		{"ONBUILD instructions are left out", "FROM x\nONBUILD EXPOSE 9000\nEXPOSE 8888\n", []Expose{{8888, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DockerfileExposes([]byte(tt.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDockerfileReadersSayWhereALongLineStoppedThem(t *testing.T) {
	df := "FROM x\nEXPOSE 8080\nRUN " + strings.Repeat("x", 1<<20) + "\nEXPOSE 8888\nCOPY . /code\n"
	exposes, err := DockerfileExposes([]byte(df))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("DockerfileExposes: error %v, want one about line 3", err)
	}
	if want := []Expose{{8080, 2}}; !slices.Equal(exposes, want) {
		t.Errorf("DockerfileExposes: got %v before the long line, want %v", exposes, want)
	}
	if _, err := DockerfileCopies([]byte(df)); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("DockerfileCopies: error %v, want one about line 3", err)
	}
}

func TestDockerfileHasInstructionOnlyWhenBuildKitFindsOne(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		want       bool
	}{
		{"an empty file has none", "", false},
		{"blank lines have none", "\n  \n\t\r\n", false},
		{"comments and parser directives have none", "# syntax=docker/dockerfile:1\n# escape=`\n\n# a comment\n", false},
		{"a byte-order mark before a comment starts no instruction", "\ufeff# a comment\n", false},
		{"one instruction after comments is one", "# syntax=docker/dockerfile:1\nFROM scratch\n", true},
		{"an instruction without a final newline is one", "FROM scratch", true},
		{"an instruction that only continues is one", "FROM \\\n scratch\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DockerfileHasInstruction([]byte(tt.dockerfile))
			if err != nil || got != tt.want {
				t.Errorf("DockerfileHasInstruction = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestDockerfileHasInstructionCannotTellPastALongLineWithNoneBefore(t *testing.T) {
	long := "# " + strings.Repeat("x", 1<<20) + "\n"
	if got, err := DockerfileHasInstruction([]byte(long + "FROM scratch\n")); err == nil || got {
		t.Errorf("a long first line: got %v, %v; want false and an error", got, err)
	}
	if got, err := DockerfileHasInstruction([]byte("FROM scratch\n" + long)); err != nil || !got {
		t.Errorf("an instruction before the long line: got %v, %v; want true", got, err)
	}
}

// FuzzDockerfile feeds arbitrary bytes to the one Dockerfile line reader
// and to the readers built on it: every instruction must start at a line
// of the file, later than the one before it, and every COPY and EXPOSE
// they return must be at one of those instructions.
func FuzzDockerfile(f *testing.F) {
	for _, s := range []string{
		"FROM x\nCOPY . /code\nEXPOSE 8888/tcp 9000-9001\n",
		"# escape=`\nCOPY `\n a b\n",
		"RUN <<EOF\nEXPOSE 1\nEOF\n",
		"COPY [\"a\", \"b\"]\n",
		"ADD --from=x <<-'E' /d\n\tE\n",
		"EXPOSE 1 \\\n# c\n\n 2\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 1 + bytes.Count(data, []byte("\n"))
		starts := map[int]bool{}
		last := 0
		_ = dockerfileInstructions(data, func(text string, line int) {
			if line <= last || line > lines {
				t.Fatalf("instruction %q at line %d, after one at line %d, of a %d-line Dockerfile", text, line, last, lines)
			}
			if strings.TrimSpace(text) == "" {
				t.Fatalf("empty instruction at line %d", line)
			}
			last = line
			starts[line] = true
		})
		copies, _ := DockerfileCopies(data)
		for _, c := range copies {
			if !starts[c.Line] {
				t.Fatalf("copy at line %d, where no instruction starts", c.Line)
			}
			_ = c.FromContext()
		}
		exposes, _ := DockerfileExposes(data)
		seen := map[int]bool{}
		for _, e := range exposes {
			if !starts[e.Line] || e.Port < 0 || e.Port > maxPort || seen[e.Port] {
				t.Fatalf("expose %v: not at an instruction, no port, or listed twice", e)
			}
			seen[e.Port] = true
		}
	})
}
