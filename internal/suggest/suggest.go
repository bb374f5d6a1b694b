// Package suggest finds the likely intended word for a typo, for the "did
// you mean …?" part of a finding.
package suggest

// maxLen bounds the words compared: a typo suggestion is for short names
// (keys, deploy groups), and the distance costs len(a)×len(b).
const maxLen = 64

// Closest returns the candidate nearest to word by edit distance when it is
// at most 2 edits away, with that distance; "" and -1 when none is. Ties go
// to the earlier candidate.
func Closest(word string, candidates []string) (string, int) {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := Distance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return "", -1
	}
	return best, bestD
}

// Distance is the Levenshtein distance between a and b, in bytes; words
// longer than 64 bytes are never near anything (the result is then larger
// than any real distance between them).
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return max(len(a), len(b)) + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
