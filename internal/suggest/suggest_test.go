package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"prod.main", "prod.mian", 2},
		{"cpus", "cpu", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	long := string(make([]byte, 100))
	if d := Distance(long, long[:99]); d <= 2 {
		t.Errorf("words over 64 bytes came out near each other: %d", d)
	}
}

func TestClosest(t *testing.T) {
	if got, d := Closest("healthcheck_mod", []string{"cpus", "healthcheck_mode", "healthcheck_cmd"}); got != "healthcheck_mode" || d != 1 {
		t.Errorf("Closest = %q, %d", got, d)
	}
	if got, d := Closest("zzz", []string{"cpus", "mem"}); got != "" || d != -1 {
		t.Errorf("a word 3 edits from everything got %q, %d", got, d)
	}
}
