package main

import "testing"

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int64
		ok       bool
	}{
		{"a plain number is bytes", "1024", 1024, true},
		{"GiB is a power of two", "2GiB", 2 << 30, true},
		{"MiB with a space", "500 MiB", 500 << 20, true},
		{"zero turns the mirrors off", "0", 0, true},
		{"a negative size is refused", "-1", 0, false},
		{"a fraction is refused", "1.5GiB", 0, false},
		{"an unknown unit is refused", "3TB", 0, false},
		{"an overflow is refused", "9999999999999GiB", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseBytes(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseBytes(%q) = %d, %v; want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"0", "2GiB", "500 MiB", "-1", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseBytes(s); err == nil && n < 0 {
			t.Fatalf("parseBytes(%q) = %d", s, n)
		}
	})
}
