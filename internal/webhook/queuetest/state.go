package queuetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/webhook"
)

// TestStateStore runs the conformance suite of a [webhook.StateStore].
// open returns a new, empty store each time; reopen, when not nil,
// returns the same store as the last open after a restart (closing the
// old one is up to it).
func TestStateStore(t *testing.T, open func(t *testing.T) webhook.StateStore, reopen func(t *testing.T) webhook.StateStore) {
	ctx := context.Background()
	list := func(t *testing.T, s webhook.StateStore, ns string) string {
		t.Helper()
		var b strings.Builder
		if err := s.ListState(ctx, ns, func(k string, v []byte) error {
			fmt.Fprintf(&b, "%s=%s;", k, v)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	t.Run("a record put is got back, replaced by the next put, gone once deleted", func(t *testing.T) {
		s := open(t)
		if _, ok, err := s.GetState(ctx, "fleet", "web"); err != nil || ok {
			t.Fatalf("empty store: ok %v, err %v", ok, err)
		}
		for _, v := range []string{"one", "two"} {
			if err := s.PutState(ctx, "fleet", "web", []byte(v)); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.GetState(ctx, "fleet", "web"); err != nil || !ok || string(got) != v {
				t.Fatalf("got %q, %v, %v; want %q", got, ok, err, v)
			}
		}
		if err := s.DeleteState(ctx, "fleet", "web"); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.GetState(ctx, "fleet", "web"); err != nil || ok {
			t.Fatalf("after delete: ok %v, err %v", ok, err)
		}
		if err := s.DeleteState(ctx, "fleet", "web"); err != nil {
			t.Fatalf("deleting a missing record: %v", err)
		}
	})
	t.Run("an empty value is a record", func(t *testing.T) {
		s := open(t)
		if err := s.PutState(ctx, "ns", "k", nil); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.GetState(ctx, "ns", "k"); err != nil || !ok || len(got) != 0 {
			t.Fatalf("got %q, %v, %v", got, ok, err)
		}
	})
	t.Run("a namespace lists its own records by key, not another's that shares a prefix", func(t *testing.T) {
		s := open(t)
		for _, r := range [][3]string{{"fleet", "b", "2"}, {"fleet", "a", "1"}, {"fleetx", "c", "3"}, {"flee", "t", "4"}} {
			if err := s.PutState(ctx, r[0], r[1], []byte(r[2])); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := list(t, s, "fleet"), "a=1;b=2;"; got != want {
			t.Errorf("fleet lists %q, want %q", got, want)
		}
		if got := list(t, s, "none"); got != "" {
			t.Errorf("an empty namespace lists %q", got)
		}
	})
	t.Run("an error of the callback ends the listing and is returned", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"a", "b"} {
			if err := s.PutState(ctx, "ns", k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		stop := errors.New("stop")
		n := 0
		err := s.ListState(ctx, "ns", func(string, []byte) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("err %v after %d calls, want stop after 1", err, n)
		}
	})
	t.Run("names out of bounds are refused", func(t *testing.T) {
		s := open(t)
		for _, c := range [][2]string{{"", "k"}, {"ns", ""}, {"n\x00s", "k"}, {"ns", strings.Repeat("k", webhook.MaxStateNameLen+1)}} {
			if err := s.PutState(ctx, c[0], c[1], []byte("v")); !errors.Is(err, webhook.ErrInvalidState) {
				t.Errorf("PutState(%q, %q): %v, want ErrInvalidState", c[0], c[1], err)
			}
		}
	})
	t.Run("a value larger than a page is kept whole", func(t *testing.T) {
		s := open(t)
		v := bytes.Repeat([]byte("0123456789"), 100_000)
		if err := s.PutState(ctx, "dashboard", "view", v); err != nil {
			t.Fatal(err)
		}
		if got, _, err := s.GetState(ctx, "dashboard", "view"); err != nil || !bytes.Equal(got, v) {
			t.Fatalf("got %d bytes, err %v", len(got), err)
		}
	})
	if reopen != nil {
		t.Run("records survive a restart", func(t *testing.T) {
			s := open(t)
			if err := s.PutState(ctx, "fleet", "web", []byte("red")); err != nil {
				t.Fatal(err)
			}
			s = reopen(t)
			if got, ok, err := s.GetState(ctx, "fleet", "web"); err != nil || !ok || string(got) != "red" {
				t.Fatalf("after a restart: %q, %v, %v", got, ok, err)
			}
		})
	}
}
