// Package github is contractbot's access to the GitHub API as a GitHub App:
// installation clients cached per installation, one HTTP transport chain for
// every call (timeouts, retries, rate limits, conditional requests, metrics),
// repository trees as an [io/fs.FS] read through the Git Trees and Blobs
// APIs (a tree GitHub truncates is completed one sub-tree at a time, within
// a bound, from listings proved whole by their tree ids), and check-run
// publishing within GitHub's documented limits.
package github
