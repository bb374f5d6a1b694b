package makefile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestReadStopsWhenCancelled reads makefiles that would keep the evaluator
// busy to the end of its budget with a cancelled context: every loop
// checks the context (through the step counter), so each reading stops
// within a thousand steps and says why, which is what lets a SIGINT stop
// the CLI at once.
func TestReadStopsWhenCancelled(t *testing.T) {
	ten := "0 1 2 3 4 5 6 7 8 9"
	tests := []struct{ name, src string }{
		{"a foreach explosion", "L := $(foreach a," + ten + ",$(foreach b," + ten + ",$(foreach c," + ten + ",$(foreach d," + ten + ",$(foreach e," + ten + ",x)))))\n"},
		{"an eval loop", "define L\n$$(eval $$(L))\nendef\n$(eval $(L))\n"},
		{"many statements", strings.Repeat("A += x\n", 200_000)},
		{"a filter over many words", listWords(100_000) + "B := $(filter-out $(A),$(A))\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			db, err := Read(ctx, Config{FS: fstest.MapFS{"Makefile": {Data: []byte(tt.src)}}}, "Makefile")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if db != nil {
				t.Errorf("a cancelled read returned a database")
			}
		})
	}
}
