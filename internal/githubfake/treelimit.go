package githubfake

import "encoding/json"

// GitHub's limits on a recursive tree (git/get-tree with recursive): "the
// limit for the tree array is 100,000 entries with a maximum size of 7 MB";
// over either, the answer holds the entries that fit and truncated: true.
// GitHub does not say whether a MB is 10^6 or 2^20 bytes; the fake takes
// the smaller, so a client that copes with the fake copes with GitHub.
const (
	MaxTreeEntries = 100_000
	MaxTreeBytes   = 7_000_000
)

// chunkedAbove is the body size over which the fake answers without a
// Content-Length, chunked, as GitHub sends its large answers (a 7 MB tree):
// clients must not depend on knowing a body's length before reading it.
const chunkedAbove = 1 << 20

// WithTreeBytes makes recursive trees whose tree array, as JSON, is
// larger than n bytes come back truncated (default [MaxTreeBytes]).
func WithTreeBytes(n int) Option { return func(s *Server) { s.treeBytes = n } }

// truncateTree keeps the longest prefix of entries with at most
// maxEntries entries whose JSON array ("[e1,e2,...]") takes at most
// maxBytes bytes, and reports whether it dropped any. A limit <= 0 is no
// limit.
func truncateTree(entries []any, maxEntries, maxBytes int) ([]any, bool) {
	size := 2 // the brackets
	for i, e := range entries {
		if maxEntries > 0 && i >= maxEntries {
			return entries[:i], true
		}
		if maxBytes > 0 {
			b, err := json.Marshal(e)
			if err != nil {
				return entries[:i], true
			}
			size += len(b)
			if i > 0 {
				size++ // the comma
			}
			if size > maxBytes {
				return entries[:i], true
			}
		}
	}
	return entries, false
}
