//go:build !unix

package webhook

import (
	"os"
	"time"
)

// lockShared does nothing where flock is missing; bbolt's own exclusive
// lock still keeps two writers apart.
func lockShared(*os.File, time.Duration) error { return nil }
