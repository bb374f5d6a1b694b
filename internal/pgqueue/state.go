package pgqueue

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/contractbot/contractbot/internal/webhook"
)

// The App's state records ([webhook.StateStore]) live in the
// contractbot_records table, beside the tasks: replicas sharing the queue
// share them, so they see one fleet.

var _ webhook.StateStore = (*Queue)(nil)

// GetState implements [webhook.StateStore].
func (q *Queue) GetState(ctx context.Context, ns, key string) ([]byte, bool, error) {
	if err := webhook.ValidateState(ns, key, nil); err != nil {
		return nil, false, err
	}
	if err := q.open(); err != nil {
		return nil, false, fmt.Errorf("state %s/%s: %w", ns, key, err)
	}
	var v []byte
	err := q.pool.QueryRow(ctx, `SELECT value FROM contractbot_records WHERE ns = $1 AND key = $2`, ns, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state %s/%s: %w", ns, key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// PutState implements [webhook.StateStore].
func (q *Queue) PutState(ctx context.Context, ns, key string, value []byte) error {
	if err := webhook.ValidateState(ns, key, value); err != nil {
		return err
	}
	if err := q.open(); err != nil {
		return fmt.Errorf("store state %s/%s: %w", ns, key, err)
	}
	if value == nil {
		value = []byte{} // the column is NOT NULL
	}
	_, err := q.pool.Exec(ctx, `INSERT INTO contractbot_records (ns, key, value, updated_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, ns, key, value)
	if err != nil {
		return fmt.Errorf("store state %s/%s: %w", ns, key, err)
	}
	return nil
}

// DeleteState implements [webhook.StateStore].
func (q *Queue) DeleteState(ctx context.Context, ns, key string) error {
	if err := webhook.ValidateState(ns, key, nil); err != nil {
		return err
	}
	if err := q.open(); err != nil {
		return fmt.Errorf("delete state %s/%s: %w", ns, key, err)
	}
	if _, err := q.pool.Exec(ctx, `DELETE FROM contractbot_records WHERE ns = $1 AND key = $2`, ns, key); err != nil {
		return fmt.Errorf("delete state %s/%s: %w", ns, key, err)
	}
	return nil
}

// ListState implements [webhook.StateStore], in key order.
func (q *Queue) ListState(ctx context.Context, ns string, fn func(key string, value []byte) error) error {
	if err := webhook.ValidateState(ns, "-", nil); err != nil {
		return err
	}
	if err := q.open(); err != nil {
		return fmt.Errorf("state %s: %w", ns, err)
	}
	rows, err := q.pool.Query(ctx, `SELECT key, value FROM contractbot_records WHERE ns = $1 ORDER BY key COLLATE "C"`, ns)
	if err != nil {
		return fmt.Errorf("state %s: %w", ns, err)
	}
	defer rows.Close()
	var key string
	var value []byte
	for rows.Next() {
		if err := rows.Scan(&key, &value); err != nil {
			return fmt.Errorf("state %s: %w", ns, err)
		}
		if err := fn(key, value); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state %s: %w", ns, err)
	}
	return nil
}
