package soa

import (
	"slices"
	"testing"
)

func TestDockerfileCopies(t *testing.T) {
	tests := []struct {
		name        string
		dockerfile  string
		fromContext []bool // FromContext of each COPY/ADD, in order
		lines       []int
	}{
		{"a COPY of the repository copies from the context", "FROM debian\nCOPY . /code\n", []bool{true}, []int{2}},
		{"a COPY from another stage does not", "FROM debian AS b\nFROM debian\nCOPY --from=b /app /app\n", []bool{false}, []int{3}},
		{"flags before the sources are skipped", "FROM x\nCOPY --chown=app:app --link src/ /code/src/\n", []bool{true}, []int{2}},
		{"the JSON form is read", "FROM x\nCOPY [\"requirements.txt\", \"/code/\"]\n", []bool{true}, []int{2}},
		{"an ADD of a URL does not copy from the context", "FROM x\nADD https://example.com/a.tgz /opt/\n", []bool{false}, []int{2}},
		{"a continued instruction is one, at its first line", "FROM x\nCOPY \\\n  # a comment\n  app.py /code/\n", []bool{true}, []int{2}},
		{"the escape directive changes the continuation character", "# escape=`\nFROM x\nCOPY `\n  . /code\n", []bool{true}, []int{3}},
		{"heredoc bodies are not instructions", "FROM x\nRUN <<EOF\nCOPY . /code\nEOF\nCOPY <<EOF /etc/conf\nx\nEOF\n", []bool{false}, []int{5}},
		{"ONBUILD instructions are left out", "FROM x\nONBUILD COPY . /code\n", nil, nil},
		{"a COPY with only a destination has no sources", "FROM x\nCOPY /code\n", []bool{false}, []int{2}},
		{"lower-case instructions count", "from x\ncopy . /code\n", []bool{true}, []int{2}},
		{"a << inside quotes opens no heredoc", "FROM x\nRUN sh -c \"cat <<EOF > /etc/motd\"\nCOPY . /code\n", []bool{true}, []int{3}},
		{"a << inside single quotes opens no heredoc", "FROM x\nRUN sh -c 'cat <<EOF > /etc/motd'\nCOPY . /code\n", []bool{true}, []int{3}},
		{"a byte-order mark before the first instruction is not part of it", "\ufeffCOPY . /code\nFROM x\n", []bool{true}, []int{1}},
		{"a byte-order mark before the escape directive leaves it a directive", "\ufeff# escape=`\nFROM x\nCOPY `\n  . /code\n", []bool{true}, []int{3}},
		{"a heredoc after a quoted word still opens", "FROM x\nRUN \"a b\" <<EOF\nCOPY . /x\nEOF\nCOPY . /code\n", []bool{true}, []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fromContext []bool
			var lines []int
			copies, err := DockerfileCopies([]byte(tt.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range copies {
				fromContext = append(fromContext, c.FromContext())
				lines = append(lines, c.Line)
			}
			if !slices.Equal(fromContext, tt.fromContext) || !slices.Equal(lines, tt.lines) {
				t.Errorf("got from-context %v at lines %v, want %v at %v", fromContext, lines, tt.fromContext, tt.lines)
			}
		})
	}
}
