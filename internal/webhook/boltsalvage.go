package webhook

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltContents is what a walk of a queue file read, bucket by bucket
// (top-level buckets only: the queue has no nested ones).
type boltContents map[string]map[string][]byte

// readContents walks the file and keeps every key, with its value unless
// the bucket is one whose values are not needed (payloads, for a check).
func readContents(w *boltWalker, skipValues ...[]byte) (boltContents, error) {
	c := boltContents{}
	w.leaf = func(bucket []string, k, v []byte) {
		if len(bucket) != 1 {
			return
		}
		m := c[bucket[0]]
		if m == nil {
			m = map[string][]byte{}
			c[bucket[0]] = m
		}
		if slices.ContainsFunc(skipValues, func(b []byte) bool { return string(b) == bucket[0] }) {
			m[string(k)] = nil
			return
		}
		m[string(k)] = append([]byte(nil), v...)
	}
	// A bucket with no keys is still there.
	w.bucket = func(name []string) {
		if len(name) == 1 && c[name[0]] == nil {
			c[name[0]] = map[string][]byte{}
		}
	}
	return c, w.walk()
}

// BoltReport is what [CheckBolt] found in a queue file that is sound.
type BoltReport struct {
	Pages    uint64 // pages in use
	PageSize int
	Pending  int
	InFlight int // left in flight by the last process; pending again at the next start
	Dead     int
	Seen     int // task IDs remembered for dedupe
}

// CheckBolt checks the queue file at path without bbolt: every page
// reachable from the root as bbolt's own consistency check would (so that
// opening it cannot fault or panic), then every task (its record decodes,
// its payload is there, the ID index agrees). A problem is an error
// wrapping [ErrDamaged] that names the file and the first problem. It
// waits up to lockWait for a process holding the file (a running serve).
func CheckBolt(path string, lockWait time.Duration) (BoltReport, error) {
	rep, err := checkBolt(path, lockWait)
	if err != nil {
		return rep, fmt.Errorf("queue file %s: %w", path, err)
	}
	return rep, nil
}

func checkBolt(path string, lockWait time.Duration) (BoltReport, error) {
	b, err := openBoltFile(path, false, lockWait)
	if err != nil {
		return BoltReport{}, err
	}
	defer b.Close()
	c, err := readContents(&boltWalker{b: b, strict: true}, bktPayload)
	if err != nil {
		return BoltReport{}, err
	}
	rep := BoltReport{Pages: b.meta.pgid, PageSize: int(b.meta.pageSize), Seen: len(c[string(bktSeen)])}
	if !hasQueueBuckets(c) {
		if len(c) == 0 {
			return rep, nil // a new file whose buckets were never created
		}
		return rep, damaged("the buckets that hold the tasks are missing (the file has %d buckets)", len(c))
	}
	ids := c[string(bktIDs)]
	for _, st := range []struct {
		bucket []byte
		n      *int
	}{{bktPending, &rep.Pending}, {bktInFlight, &rep.InFlight}, {bktDead, &rep.Dead}} {
		for _, seq := range slices.Sorted(mapKeys(c[string(st.bucket)])) {
			var r record
			if err := json.Unmarshal(c[string(st.bucket)][seq], &r); err != nil || r.ID == "" || r.Key == "" || r.Kind == "" {
				return rep, damaged("task %x in bucket %q does not decode: %v", seq, st.bucket, err)
			}
			if _, ok := c[string(bktPayload)][seq]; !ok {
				return rep, damaged("task %s has no payload", r.ID)
			}
			if got := ids[r.ID]; string(got) != seq {
				return rep, damaged("task %s is not in the ID index", r.ID)
			}
			*st.n++
		}
	}
	return rep, nil
}

// taskBuckets hold the tasks; every file the queue ever wrote has them.
// The others are indexes or were added later (due, meta): OpenBolt
// creates what is missing.
var taskBuckets = [][]byte{bktPending, bktInFlight, bktDead, bktPayload, bktIDs, bktSeen}

func hasQueueBuckets(c boltContents) bool {
	for _, b := range taskBuckets {
		if _, ok := c[string(b)]; !ok {
			return false
		}
	}
	return true
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// SalvageReport says what [SalvageBolt] copied and what it could not.
type SalvageReport struct {
	Pending int // pending tasks copied
	Resumed int // tasks a dead process left in flight, copied as pending
	Dead    int // dead-lettered tasks copied, still dead-lettered
	// Rebuilt counts delivery tasks whose record was lost but whose
	// payload (which carries the delivery's GUID and event) was read:
	// they are pending in the new file.
	Rebuilt int
	// Superseded counts tasks left in flight that a newer pending task of
	// the same kind and key replaces, as at any restart.
	Superseded int
	Seen       int      // task IDs remembered for dedupe, copied
	Lost       []string // tasks that could not be copied, one line each
	Damage     []string // damaged pages and what was in them
}

// SalvageBolt copies every task it can read from the queue file at src
// into a new queue file at dst (which must not exist), with the dedupe
// memory and the redelivery watermark, and reports what it could not
// copy. It reads src without bbolt, tolerating damage: a page that does not
// read is skipped with what it would have led to, a truncated file is read
// as far as it goes. Nothing is written to src.
func SalvageBolt(src, dst string, lockWait time.Duration) (SalvageReport, error) {
	var rep SalvageReport
	if _, err := os.Lstat(dst); err == nil {
		return rep, fmt.Errorf("salvage into %s: the file exists; name a new one", dst)
	}
	c := boltContents{}
	b, err := openBoltFile(src, true, lockWait)
	switch {
	case errors.Is(err, ErrDamaged):
		fi, serr := os.Stat(src)
		if serr != nil || fi.Size() != 0 {
			return rep, fmt.Errorf("salvage %s: %w", src, err)
		}
		rep.Lost = append(rep.Lost, "the file is empty: no task was left to copy")
	case err != nil:
		return rep, fmt.Errorf("salvage %s: %w", src, err)
	default:
		defer b.Close()
		w := &boltWalker{b: b}
		c, err = readContents(w)
		if err != nil {
			return rep, fmt.Errorf("salvage %s: %w", src, err)
		}
		rep.Damage = w.problems
		if b.truncated != 0 {
			rep.Damage = append(rep.Damage, fmt.Sprintf("the file is truncated: %d of its %d pages are there", b.truncated, b.meta.pgid))
		}
	}
	tasks := salvageTasks(c, &rep)
	if err := writeSalvaged(dst, c, tasks, &rep); err != nil {
		os.Remove(dst)
		return rep, fmt.Errorf("salvage into %s: %w", dst, err)
	}
	return rep, nil
}

// salvaged is one task to write into the new file.
type salvaged struct {
	seq     uint64 // in the old file: the order to keep
	r       record
	payload []byte
	dead    bool
	resumed bool // was in flight
}

func salvageTasks(c boltContents, rep *SalvageReport) []salvaged {
	payloads := c[string(bktPayload)]
	var out []salvaged
	copied := map[string]bool{}  // seqs
	lostIDs := map[string]bool{} // reported lost already
	for _, st := range []struct {
		bucket []byte
		dead   bool
	}{{bktPending, false}, {bktInFlight, false}, {bktDead, true}} {
		for seq, v := range c[string(st.bucket)] {
			var r record
			if err := json.Unmarshal(v, &r); err != nil || r.ID == "" || r.Key == "" || r.Kind == "" || len(seq) != 8 {
				rep.Lost = append(rep.Lost, fmt.Sprintf("task %x in %s: its record does not decode", seq, st.bucket))
				continue
			}
			p, ok := payloads[seq]
			if !ok {
				rep.Lost = append(rep.Lost, fmt.Sprintf("task %s (%s, %s): its payload is unreadable", r.ID, r.Kind, r.Key))
				lostIDs[r.ID] = true
				continue
			}
			copied[seq] = true
			r.LeaseUntil = time.Time{}
			resumed := string(st.bucket) == string(bktInFlight)
			out = append(out, salvaged{seq: binary.BigEndian.Uint64([]byte(seq)), r: r, payload: p, dead: st.dead, resumed: resumed})
			switch {
			case st.dead:
				rep.Dead++
			case string(st.bucket) == string(bktInFlight):
				rep.Resumed++
			default:
				rep.Pending++
			}
		}
	}
	// A payload whose record was lost: a delivery carries its own GUID and
	// event, so its task can be rebuilt; other payloads cannot.
	have := map[string]bool{}
	for _, t := range out {
		have[t.r.ID] = true
	}
	orphans := 0
	for seq, p := range payloads {
		if copied[seq] || len(seq) != 8 {
			continue
		}
		d, err := DecodeDelivery(Task{Kind: KindDelivery, Payload: p})
		if err != nil || ValidateTask(Task{ID: d.ID, Key: DeliveryKey(d.ID), Kind: KindDelivery}) != nil {
			orphans++
			continue
		}
		if have[d.ID] {
			continue
		}
		have[d.ID] = true
		out = append(out, salvaged{seq: binary.BigEndian.Uint64([]byte(seq)), payload: p,
			r: record{ID: d.ID, Key: DeliveryKey(d.ID), Kind: KindDelivery, EnqueuedAt: d.ReceivedAt}})
		rep.Rebuilt++
	}
	if orphans > 0 {
		rep.Lost = append(rep.Lost, fmt.Sprintf("%d payloads of tasks whose records are unreadable (not deliveries, so they cannot be rebuilt)", orphans))
	}
	// Tasks the ID index names whose record is gone, with a payload that
	// could not be rebuilt or none.
	for id := range c[string(bktIDs)] {
		if !have[id] && !lostIDs[id] {
			rep.Lost = append(rep.Lost, fmt.Sprintf("task %s: its record is unreadable", id))
		}
	}
	slices.SortFunc(out, func(a, b salvaged) int { return cmp.Compare(a.seq, b.seq) })
	slices.Sort(rep.Lost)
	return out
}

// writeSalvaged writes tasks into a new queue file at dst, as OpenBolt
// would have them: sequence numbers in the old order, the ID and coalesce
// indexes rebuilt, the dedupe memory and the watermark copied.
func writeSalvaged(dst string, c boltContents, tasks []salvaged, rep *SalvageReport) error {
	db, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		// Sequence numbers keep the old order. Tasks left in flight are
		// written last: a pending task of the same kind and key is newer
		// work and replaces them, as it does at any restart.
		for _, resumed := range []bool{false, true} {
			for i, t := range tasks {
				if t.resumed != resumed {
					continue
				}
				seq := seqKey(uint64(i + 1))
				r := t.r
				if t.dead {
					if err := putRecord(tx.Bucket(bktDead), seq, &r); err != nil {
						return err
					}
				} else {
					ck := coalesceKey(r.Kind, r.Key)
					if tx.Bucket(bktCoalesce).Get(ck) != nil {
						rep.Superseded++
						if t.resumed {
							rep.Resumed--
						} else {
							rep.Pending--
						}
						continue
					}
					if err := putPending(tx, seq, &r); err != nil {
						return err
					}
					if err := tx.Bucket(bktCoalesce).Put(ck, seq); err != nil {
						return err
					}
				}
				if err := tx.Bucket(bktPayload).Put(seq, t.payload); err != nil {
					return err
				}
				if err := tx.Bucket(bktIDs).Put([]byte(r.ID), seq); err != nil {
					return err
				}
				if tx.Bucket(bktSeen).Get([]byte(r.ID)) == nil {
					if err := remember(tx, []byte(r.ID), r.EnqueuedAt); err != nil {
						return err
					}
				}
			}
		}
		if err := tx.Bucket(bktPending).SetSequence(uint64(len(tasks))); err != nil {
			return err
		}
		for id, v := range c[string(bktSeen)] {
			if len(v) != 8 || tx.Bucket(bktSeen).Get([]byte(id)) != nil {
				continue
			}
			if err := tx.Bucket(bktSeen).Put([]byte(id), v); err != nil {
				return err
			}
			if err := tx.Bucket(bktSeenTime).Put(append(append([]byte(nil), v...), id...), nil); err != nil {
				return err
			}
		}
		rep.Seen = tx.Bucket(bktSeen).Stats().KeyN
		// The App's state records (the fleet view) are copied as they are:
		// whatever is lost of them, the next sweep puts back.
		for k, v := range c[string(bktState)] {
			if v == nil {
				v = []byte{}
			}
			if err := tx.Bucket(bktState).Put([]byte(k), v); err != nil {
				return err
			}
		}
		if v, ok := c[string(bktMeta)][string(keyWatermark)]; ok && len(v) == 8 {
			return tx.Bucket(bktMeta).Put(keyWatermark, v)
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}
