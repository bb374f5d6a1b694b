package webhook

import (
	"context"
	"errors"
)

// StateStore is implemented by queues that also keep small named records
// for the App beside their tasks: the fleet view (each service's last
// result) and the dashboard issue's number and last view. They live in the
// queue's store, not in a database of their own, so they survive a
// restart and replicas sharing one PostgreSQL queue see one fleet.
//
// Records are grouped by namespace; a namespace and a key are short
// strings (at most [MaxStateNameLen] bytes, no NUL byte), a value at most
// [MaxStateValueLen] bytes. A write is durable when it returns.
type StateStore interface {
	// GetState returns the record ns/key, ok false when there is none.
	GetState(ctx context.Context, ns, key string) (value []byte, ok bool, err error)
	// PutState stores value as ns/key, replacing any earlier value.
	PutState(ctx context.Context, ns, key string, value []byte) error
	// DeleteState removes ns/key; removing a missing record is no error.
	DeleteState(ctx context.Context, ns, key string) error
	// ListState calls fn with every record of ns, by key. fn must not
	// keep value past its call, nor call the store.
	ListState(ctx context.Context, ns string, fn func(key string, value []byte) error) error
}

// ErrInvalidState is returned for a record whose name or value is out of
// [ValidateState]'s bounds.
var ErrInvalidState = errors.New("invalid state record")

// Limits of a [StateStore] record: a fleet of 5,000 services is 5,000
// records of a few kilobytes; the dashboard's last view is one larger one.
const (
	MaxStateNameLen  = 512
	MaxStateValueLen = 16 << 20
)

// ValidateState reports whether ns/key may be stored, and value when it
// is not nil. Stores call it first and wrap its [ErrInvalidState].
func ValidateState(ns, key string, value []byte) error {
	for _, s := range []string{ns, key} {
		switch {
		case s == "":
			return errorf(ErrInvalidState, "state record %q/%q: empty name", ns, key)
		case len(s) > MaxStateNameLen:
			return errorf(ErrInvalidState, "state record name longer than %d bytes", MaxStateNameLen)
		}
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return errorf(ErrInvalidState, "state record %q/%q: NUL byte in its name", ns, key)
			}
		}
	}
	if len(value) > MaxStateValueLen {
		return errorf(ErrInvalidState, "state record %s/%s: value of %d bytes, over %d", ns, key, len(value), MaxStateValueLen)
	}
	return nil
}
