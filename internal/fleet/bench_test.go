package fleet

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkRender renders a view of 5,000 services (a third failing with
// six findings each) in every format, without checking anything: the
// cost a face pays per dashboard update; see BENCHMARKS.md.
func BenchmarkRender(b *testing.B) {
	v := bigFleet(b, 5000)
	for _, f := range Formats {
		b.Run(fmt.Sprintf("5000/%s", f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Render(io.Discard, f, v, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
