package webhook_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/contractbot/contractbot/internal/webhook"
)

// queueFile writes a real queue file with n pending delivery tasks of 1 KiB
// payloads (enough for the buckets to span many pages), once per test, and
// returns a function that copies it to a fresh path for each case.
func queueFile(t *testing.T, n int) func(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue.db")
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 32 { // concurrent enqueues share commits
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				d := webhook.Delivery{ID: fmt.Sprintf("guid-%05d", i), Event: "push", Payload: bytes.Repeat([]byte("x"), 1024), ReceivedAt: time.Now()}
				task, err := d.Task()
				if err == nil {
					_, err = q.Enqueue(context.Background(), task)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	sound, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "queue.db")
		if err := os.WriteFile(p, sound, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// bucketRoot returns a queue file's page size, its size in use and the
// root page of one bucket, read with bbolt from the sound file.
func bucketRoot(t *testing.T, path, bucket string) (pageSize int, used int64, root uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		used = tx.Size()
		root = uint64(tx.Bucket([]byte(bucket)).Root())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if root == 0 {
		t.Fatalf("bucket %s is inline: no page to garble", bucket)
	}
	return db.Info().PageSize, used, root
}

// damage is a way a queue file breaks, as an operator finds it.
type damage struct {
	name  string
	apply func(t *testing.T, path string)
	cause string // in the one-line error
	// salvaged checks what SalvageBolt could copy of the 3,000 tasks.
	salvaged func(t *testing.T, rep webhook.SalvageReport)
}

func copied(rep webhook.SalvageReport) int { return rep.Pending + rep.Resumed + rep.Dead + rep.Rebuilt }

var damages = []damage{
	{"an empty file", func(t *testing.T, path string) {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
	}, "empty", func(t *testing.T, rep webhook.SalvageReport) {
		if copied(rep) != 0 || len(rep.Lost) != 1 {
			t.Errorf("from an empty file: %+v, want nothing copied and that said", rep)
		}
	}},
	{"a file truncated inside its data", func(t *testing.T, path string) {
		_, used, _ := bucketRoot(t, path, "payload")
		if err := os.Truncate(path, used/2); err != nil {
			t.Fatal(err)
		}
	}, "truncated", func(t *testing.T, rep webhook.SalvageReport) {
		// bbolt writes new pages at the end: the trees' roots are usually
		// in the half that is gone, and with them everything.
		if !slices.ContainsFunc(rep.Damage, func(s string) bool { return strings.Contains(s, "truncated") }) {
			t.Errorf("damage %q does not say the file is truncated", rep.Damage)
		}
	}},
	{"the root page of a bucket garbled whole", func(t *testing.T, path string) {
		ps, _, root := bucketRoot(t, path, "pending")
		garble(t, path, int64(root)*int64(ps), ps)
	}, "page", func(t *testing.T, rep webhook.SalvageReport) {
		// Every pending record is gone, but a delivery's payload names its
		// GUID and event: every task is rebuilt from it.
		if rep.Rebuilt != 3000 || len(rep.Damage) == 0 {
			t.Errorf("%+v, want all 3000 delivery tasks rebuilt from their payloads and the damage reported", rep)
		}
	}},
	{"one leaf page of payloads garbled after its header", func(t *testing.T, path string) {
		ps, _, _ := bucketRoot(t, path, "payload")
		leaves, err := webhook.LeafPages(path, "payload")
		if err != nil || len(leaves) < 10 {
			t.Fatalf("payload leaf pages %v, %v", leaves, err)
		}
		garble(t, path, int64(leaves[len(leaves)/2])*int64(ps)+16, ps-16)
	}, "page", func(t *testing.T, rep webhook.SalvageReport) {
		lost := 0
		for _, l := range rep.Lost {
			if strings.Contains(l, "payload is unreadable") {
				lost++
			}
		}
		if lost == 0 || copied(rep)+lost != 3000 || len(rep.Damage) != 1 {
			t.Errorf("%d copied, %d lost (%d lines), damage %q: want the page's tasks lost, named, and every other copied",
				copied(rep), lost, len(rep.Lost), rep.Damage)
		}
	}},
}

func garble(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, n)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
}

// Issue 15, defect 7: a damaged queue file must not start as an empty
// queue (a 0-byte file used to, dropping every task) nor crash the
// process (a truncated file faulted with SIGBUS, a garbled page made
// bbolt panic), but be refused with one line that names the file and the
// cause. OpenBolt runs in a child process, so that a crash is a failure
// of this test rather than the end of the test binary.
func TestOpenBolt_RefusesADamagedFileWithOneLineInsteadOfCrashing(t *testing.T) {
	file := queueFile(t, 3000)
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			path := file(t)
			d.apply(t, path)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOpenBolt$")
			cmd.Env = append(os.Environ(), "CONTRACTBOT_TEST_OPEN_BOLT="+path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("opening the damaged file crashed the process (%v):\n%.2000s", err, out)
			}
			m := regexp.MustCompile(`(?m)^open-bolt: (.*)$`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("no result from the child process:\n%.2000s", out)
			}
			line := string(m[1])
			if line == "opened" {
				t.Fatal("the damaged file was opened as a queue")
			}
			if !strings.Contains(line, path) || !strings.Contains(line, d.cause) {
				t.Errorf("error %q does not name the file and the cause (%q)", line, d.cause)
			}
			if !strings.Contains(line, webhook.ErrDamaged.Error()) {
				t.Errorf("error %q does not wrap ErrDamaged", line)
			}
		})
	}
}

// TestHelperOpenBolt is the child process of the test above.
func TestHelperOpenBolt(t *testing.T) {
	path := os.Getenv("CONTRACTBOT_TEST_OPEN_BOLT")
	if path == "" {
		t.Skip("run by TestOpenBolt_RefusesADamagedFileWithOneLineInsteadOfCrashing")
	}
	q, err := webhook.OpenBolt(path, webhook.WithOpenTimeout(time.Second))
	if err != nil {
		fmt.Printf("open-bolt: %s\n", strings.ReplaceAll(err.Error(), "\n", `\n`))
		return
	}
	// Use it as serve would, so that a fault on a later read shows too.
	_, _ = q.Claim(context.Background(), 100)
	_, _ = q.Stats(context.Background())
	q.Close()
	fmt.Println("open-bolt: opened")
}

// CheckBolt says what is wrong with a damaged file, and what a sound one
// holds.
func TestCheckBolt_FindsEveryKindOfDamage(t *testing.T) {
	file := queueFile(t, 3000)
	rep, err := webhook.CheckBolt(file(t), time.Second)
	if err != nil || rep.Pending != 3000 {
		t.Fatalf("sound file: %+v, %v; want 3000 pending", rep, err)
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			path := file(t)
			d.apply(t, path)
			_, err := webhook.CheckBolt(path, time.Second)
			if !errors.Is(err, webhook.ErrDamaged) || !strings.Contains(err.Error(), d.cause) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line wrapping ErrDamaged about %q", err, d.cause)
			}
		})
	}
}

// SalvageBolt copies every task it can read into a fresh file that opens,
// and says what it could not.
func TestSalvageBolt_CopiesWhatCanBeReadAndReportsTheRest(t *testing.T) {
	file := queueFile(t, 3000)
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			path := file(t)
			d.apply(t, path)
			dst := filepath.Join(t.TempDir(), "salvaged.db")
			rep, err := webhook.SalvageBolt(path, dst, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			copied := copied(rep)
			t.Logf("%s: %d copied, %d lines lost, damage %q", d.name, copied, len(rep.Lost), rep.Damage)
			d.salvaged(t, rep)
			if copied < 3000 && len(rep.Lost) == 0 && len(rep.Damage) == 0 {
				t.Errorf("%d of 3000 tasks copied and nothing reported lost", copied)
			}
			q, err := webhook.OpenBolt(dst)
			if err != nil {
				t.Fatalf("the salvaged file does not open: %v", err)
			}
			defer q.Close()
			st, err := q.Stats(context.Background())
			if err != nil || st.Pending != copied {
				t.Errorf("salvaged queue holds %+v (%v), want %d pending", st, err, copied)
			}
			// The dedupe memory survived: a copied delivery is a duplicate.
			tasks, err := q.Claim(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) == 1 {
				if dup, err := q.Enqueue(context.Background(), webhook.Task{ID: tasks[0].ID, Key: tasks[0].Key, Kind: tasks[0].Kind}); err != nil || !dup {
					t.Errorf("re-enqueuing copied task %s: dup %v, %v; want a duplicate", tasks[0].ID, dup, err)
				}
			}
		})
	}
}

func TestSalvageBolt_CopiesASoundFileWhole(t *testing.T) {
	path := queueFile(t, 500)(t)
	dst := filepath.Join(t.TempDir(), "copy.db")
	rep, err := webhook.SalvageBolt(path, dst, time.Second)
	if err != nil || rep.Pending != 500 || len(rep.Lost) != 0 || len(rep.Damage) != 0 {
		t.Fatalf("salvage of a sound file: %+v, %v", rep, err)
	}
	if _, err := webhook.SalvageBolt(path, dst, time.Second); err == nil {
		t.Error("salvage overwrote an existing file")
	}
}

// Whatever a page is garbled into, checking and salvaging return, and a
// file the check calls sound opens and serves: 50 files, each with a
// random stretch of a random page overwritten.
func TestCheckAndSalvage_NeverPanicOnAGarbledPage(t *testing.T) {
	file := queueFile(t, 300)
	for i := range 50 {
		path := file(t)
		ps, used, _ := bucketRoot(t, path, "payload")
		pages := used / int64(ps)
		var r [3]byte
		_, _ = rand.Read(r[:])
		page := 2 + int64(r[0])%(pages-2)
		off := int64(r[1]) % int64(ps)
		n := 1 + int(r[2])%(ps-int(off))
		garble(t, path, page*int64(ps)+off, n)
		if _, err := webhook.CheckBolt(path, time.Second); err == nil {
			q, err := webhook.OpenBolt(path)
			if err == nil {
				_, _ = q.Claim(context.Background(), 500)
				_, _ = q.Stats(context.Background())
				q.Close()
			}
		}
		if _, err := webhook.SalvageBolt(path, filepath.Join(t.TempDir(), fmt.Sprintf("s%d.db", i)), time.Second); err != nil && !errors.Is(err, webhook.ErrDamaged) {
			t.Errorf("garble %d (page %d, %d bytes at %d): salvage: %v", i, page, n, off, err)
		}
	}
}

// Salvage keeps what state a task was in: pending stays pending, a task a
// dead process left in flight is pending again, a dead letter stays one.
func TestSalvageBolt_KeepsEachTasksState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := q.Enqueue(t.Context(), webhook.Task{ID: id, Key: "k/" + id, Kind: "check", Payload: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := q.Claim(t.Context(), 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	if err := q.DeadLetter(t.Context(), claimed[0].ID, errors.New("422")); err != nil {
		t.Fatal(err)
	}
	q.Close() // claimed[1] stays in flight in the file
	dst := filepath.Join(t.TempDir(), "salvaged.db")
	rep, err := webhook.SalvageBolt(path, dst, time.Second)
	if err != nil || rep.Pending != 1 || rep.Resumed != 1 || rep.Dead != 1 || len(rep.Lost) != 0 {
		t.Fatalf("salvage: %+v, %v", rep, err)
	}
	q, err = webhook.OpenBolt(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	st, err := q.Stats(t.Context())
	if err != nil || st.Pending != 2 || st.Dead != 1 {
		t.Fatalf("salvaged queue: %+v, %v; want 2 pending and 1 dead", st, err)
	}
	dead, err := q.DeadLetters(t.Context(), 10)
	if err != nil || len(dead) != 1 || dead[0].ID != claimed[0].ID || dead[0].LastError != "422" {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
}

// A file written by an older version, before the due index and the meta
// bucket existed, is not damage: it opens and keeps its task.
func TestOpenBolt_OpensAFileOfAnOlderVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	seq := []byte{0, 0, 0, 0, 0, 0, 0, 1}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"pending", "inflight", "dead", "payload", "ids", "coalesce", "seen", "seen_time"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		rec := []byte(`{"id":"old","key":"k","kind":"check","enqueued_at":"2026-11-25T10:00:00Z"}`)
		if err := tx.Bucket([]byte("pending")).Put(seq, rec); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("payload")).Put(seq, []byte("p")); err != nil {
			return err
		}
		return tx.Bucket([]byte("ids")).Put([]byte("old"), seq)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatalf("an older version's file: %v", err)
	}
	defer q.Close()
	if st, err := q.Stats(t.Context()); err != nil || st.Pending != 1 {
		t.Fatalf("stats %+v, %v; want the older file's task", st, err)
	}
}
