package webhook

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bktState holds the [StateStore] records: namespace NUL key -> value.
// One flat bucket (not a bucket per namespace), so that the salvage copies
// it like any other.
var bktState = []byte("state")

var _ StateStore = (*BoltQueue)(nil)

func stateKey(ns, key string) []byte {
	return append(append(append(make([]byte, 0, len(ns)+1+len(key)), ns...), 0), key...)
}

func (q *BoltQueue) closed() bool {
	select {
	case <-q.quit:
		return true
	default:
		return false
	}
}

// GetState implements [StateStore].
func (q *BoltQueue) GetState(ctx context.Context, ns, key string) ([]byte, bool, error) {
	if err := ValidateState(ns, key, nil); err != nil {
		return nil, false, err
	}
	if q.closed() {
		return nil, false, fmt.Errorf("state %s/%s: %w", ns, key, ErrClosed)
	}
	var v []byte
	err := q.db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(bktState).Get(stateKey(ns, key)); got != nil {
			v = bytes.Clone(got)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("state %s/%s: %w", ns, key, err)
	}
	return v, v != nil, nil
}

// PutState implements [StateStore]; the write is fsync'd, batched with the
// queue's other writes.
func (q *BoltQueue) PutState(ctx context.Context, ns, key string, value []byte) error {
	if err := ValidateState(ns, key, value); err != nil {
		return err
	}
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{} // bbolt stores nil as a missing value
	}
	if err := q.write(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bktState).Put(stateKey(ns, key), v) }); err != nil {
		return fmt.Errorf("store state %s/%s: %w", ns, key, err)
	}
	return nil
}

// DeleteState implements [StateStore].
func (q *BoltQueue) DeleteState(ctx context.Context, ns, key string) error {
	if err := ValidateState(ns, key, nil); err != nil {
		return err
	}
	if err := q.write(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bktState).Delete(stateKey(ns, key)) }); err != nil {
		return fmt.Errorf("delete state %s/%s: %w", ns, key, err)
	}
	return nil
}

// ListState implements [StateStore], in one read transaction.
func (q *BoltQueue) ListState(ctx context.Context, ns string, fn func(key string, value []byte) error) error {
	if err := ValidateState(ns, "-", nil); err != nil {
		return err
	}
	if q.closed() {
		return fmt.Errorf("state %s: %w", ns, ErrClosed)
	}
	prefix := stateKey(ns, "")
	return q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktState).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(string(k[len(prefix):]), v); err != nil {
				return err
			}
		}
		return nil
	})
}
