package tron

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func fmtAny(v any) string { return fmt.Sprintf("%+v", v) }

func TestNamesTronAccepts(t *testing.T) {
	for _, name := range []string{"report", "Nightly", "_private", "a-b_c9", "daten_ü", strings.Repeat("a", 255), "job\n"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
	for _, tt := range []struct{ name, why string }{
		{"report.v2", `has '.'`},
		{"2nightly", "must start with an ASCII letter"},
		{"", "cannot be empty"},
		{"ünter", "must start with an ASCII letter"},
		{strings.Repeat("a", 256), "longer than 255"},
		{"a b", `has ' '`},
	} {
		if err := CheckName(tt.name); err == nil || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("CheckName(%q) = %v, want an error saying %q", tt.name, err, tt.why)
		}
	}
	if err := CheckActionName("cleanup"); err == nil {
		t.Error("an action may be called cleanup")
	}
}

func TestTimeZones(t *testing.T) {
	for _, z := range []string{"America/Los_Angeles", "US/Pacific", "us/pacific", "UTC", "utc", "Europe/Isle_of_Man", "EST", "Etc/GMT+5", "etc/gmt_plus_5"} {
		if err := CheckTimeZone(z); err != nil {
			t.Errorf("CheckTimeZone(%q): %v", z, err)
		}
	}
	for _, z := range []string{"Mars/Olympus_Mons", "PST", "+02:00", "", "Local", "Europe/Zürich"} {
		if err := CheckTimeZone(z); err == nil || errors.Is(err, ErrUndecided) {
			t.Errorf("CheckTimeZone(%q) = %v, want it rejected", z, err)
		}
	}
	if err := CheckTimeZone("europe/isle_of_man"); !errors.Is(err, ErrUndecided) {
		t.Errorf("a lower-case name with odd capitals = %v, want ErrUndecided", err)
	}
}

func TestRequires(t *testing.T) {
	tests := []struct {
		name    string
		actions []Action
		want    []RequiresError
	}{
		{"a chain is fine", []Action{{"a", nil}, {"b", []string{"a"}}, {"c", []string{"a", "b"}}}, nil},
		{"a missing action", []Action{{"build", []string{"no_such_action"}}}, []RequiresError{{Action: "build", Missing: "no_such_action"}}},
		{"an action that requires itself", []Action{{"a", []string{"a"}}}, []RequiresError{{Action: "a", Cycle: []string{"a", "a"}}}},
		{"two actions that require each other", []Action{{"a", []string{"b"}}, {"b", []string{"a"}}}, []RequiresError{{Action: "b", Cycle: []string{"a", "b", "a"}}}},
		{"a cycle reached from outside it", []Action{{"x", []string{"b"}}, {"b", []string{"c"}}, {"c", []string{"b"}}}, []RequiresError{{Action: "c", Cycle: []string{"b", "c", "b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckRequires(tt.actions); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckRequires = %+v, want %+v", got, tt.want)
			}
		})
	}
}
