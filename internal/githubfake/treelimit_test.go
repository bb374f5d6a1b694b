package githubfake

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

func TestTruncateTree_StopsAtEitherLimit(t *testing.T) {
	entry := func(i int) any { return map[string]any{"path": strconv.Itoa(i % 10)} } // {"path":"0"}: 12 bytes
	list := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = entry(i)
		}
		return out
	}
	// n entries of 12 bytes take 2 + 12n + (n-1) bytes as a JSON array.
	arrayBytes := func(n int) int { return 2 + 12*n + n - 1 }
	for _, tc := range []struct {
		name                string
		entries, maxE, maxB int
		wantEntries         int
		wantTruncated       bool
	}{
		{"a tree of exactly the entry limit is whole", 100, 100, 0, 100, false},
		{"one entry over the entry limit is truncated to the limit", 101, 100, 0, 100, true},
		{"a tree of exactly the byte limit is whole", 100, 0, arrayBytes(100), 100, false},
		{"one byte over the byte limit drops the last entry", 100, 0, arrayBytes(100) - 1, 99, true},
		{"the smaller of the two limits wins", 100, 50, arrayBytes(60), 50, true},
		{"no limits keep everything", 1000, 0, 0, 1000, false},
		{"an empty tree is whole", 0, 1, 2, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated := truncateTree(list(tc.entries), tc.maxE, tc.maxB)
			if len(got) != tc.wantEntries || truncated != tc.wantTruncated {
				t.Fatalf("got %d entries, truncated %v; want %d, %v", len(got), truncated, tc.wantEntries, tc.wantTruncated)
			}
			if b, _ := json.Marshal(got); tc.maxB > 0 && len(b) > tc.maxB {
				t.Errorf("kept %d bytes, over the limit %d", len(b), tc.maxB)
			}
		})
	}
}

// treeArray fetches owner/repo's tree at ref (recursively when asked) and
// returns its entries, its truncated flag and the tree array's JSON size.
func treeArray(t *testing.T, s *Server, tok, path string) ([]any, bool, int) {
	t.Helper()
	st, m, _ := do(t, s, "GET", path, tok, nil)
	if st != 200 {
		t.Fatalf("GET %s: %d %v", path, st, m)
	}
	tree, _ := m["tree"].([]any)
	b, _ := json.Marshal(tree)
	return tree, m["truncated"] == true, len(b)
}

func TestGetTree_TruncatesARecursiveTreeAtTheByteLimit(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	files := map[string]string{}
	for i := range 40 {
		files["d"+strconv.Itoa(i%4)+"/f"+strconv.Itoa(i)] = strings.Repeat("x", i)
	}
	s.Push("acme", "r", "main", files)
	tok := installToken(t, s, 1)
	set := func(n int) {
		s.mu.Lock()
		s.treeBytes = n
		s.mu.Unlock()
	}
	set(0)
	whole, truncated, size := treeArray(t, s, tok, "repos/acme/r/git/trees/main?recursive=1")
	if truncated || len(whole) != 44 {
		t.Fatalf("unlimited: %d entries, truncated %v", len(whole), truncated)
	}
	set(size)
	if got, truncated, _ := treeArray(t, s, tok, "repos/acme/r/git/trees/main?recursive=1"); truncated || len(got) != 44 {
		t.Errorf("at exactly the limit: %d entries, truncated %v; want the whole tree", len(got), truncated)
	}
	set(size - 1)
	got, truncated, gotSize := treeArray(t, s, tok, "repos/acme/r/git/trees/main?recursive=1")
	if !truncated || len(got) != 43 || gotSize > size-1 {
		t.Errorf("one byte over: %d entries (%d bytes), truncated %v; want 43 and truncated", len(got), gotSize, truncated)
	}
	if top, truncated, _ := treeArray(t, s, tok, "repos/acme/r/git/trees/main"); truncated || len(top) != 4 {
		t.Errorf("a non-recursive tree is not subject to the limit: %d entries, truncated %v", len(top), truncated)
	}
}

func TestGetTree_TruncatesTheBigRepositoryAsGitHubWould(t *testing.T) {
	if testing.Short() {
		t.Skip("the 40,000-file repository takes seconds; not under -short")
	}
	files, err := soatest.BigRepo()
	if err != nil {
		t.Fatal(err)
	}
	s := New(t)
	s.AddInstallation(1, "acme")
	s.PushFiles("acme", "soa", "main", FilesOf(files))
	tok := installToken(t, s, 1)
	got, truncated, size := treeArray(t, s, tok, "repos/acme/soa/git/trees/main?recursive=1")
	if !truncated || size > MaxTreeBytes || len(got) >= 44000 {
		t.Fatalf("%d entries, %d bytes, truncated %v: want a truncated answer under %d bytes", len(got), size, truncated, MaxTreeBytes)
	}
	t.Logf("the 44,000-entry tree comes back truncated after %d entries (%d bytes)", len(got), size)
}

func TestServer_SendsLargeAnswersChunkedAsGitHubDoes(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	files := map[string]string{}
	for i := range 8000 { // about 1.5 MB of tree array
		files["d/f"+strconv.Itoa(i)] = ""
	}
	s.Push("acme", "r", "main", files)
	tok := installToken(t, s, 1)
	for _, tc := range []struct {
		path    string
		chunked bool
	}{
		{"repos/acme/r/git/trees/main?recursive=1", true},
		{"repos/acme/r", false},
	} {
		req, _ := http.NewRequest("GET", s.URL()+tc.path, nil)
		req.Header.Set("Authorization", tok)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		chunked := resp.ContentLength == -1 && slices.Contains(resp.TransferEncoding, "chunked")
		if resp.StatusCode != 200 || chunked != tc.chunked {
			t.Errorf("%s: %d, %d bytes, Content-Length %d, Transfer-Encoding %v; want chunked %v",
				tc.path, resp.StatusCode, n, resp.ContentLength, resp.TransferEncoding, tc.chunked)
		}
	}
}
