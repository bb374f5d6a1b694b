package main

import (
	"context"
	"fmt"
	"sync"
)

// forEach runs f once per name, jobs at a time, and returns the results in
// the order of names. The first error cancels the rest and is returned
// with the name it came from; so is a cancelled ctx.
func forEach[T any](ctx context.Context, jobs int, names []string, f func(ctx context.Context, name string) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]T, len(names))
	work := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range max(1, min(jobs, len(names))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				v, err := f(ctx, names[i])
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("%s: %w", names[i], err); cancel() })
					continue
				}
				results[i] = v
			}
		}()
	}
feed:
	for i := range names {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
