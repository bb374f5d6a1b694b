package webhook

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
	"time"
)

// The queue file is read here with plain reads, before bbolt maps it into
// memory: a file truncated inside its data makes bbolt fault (SIGBUS) on the
// first page past its end, and a garbled page makes it panic, in a goroutine
// of its own when it rebuilds the freelist at open, which no recover can
// catch. So OpenBolt first checks the file's structure as bbolt will read
// it, and a damaged file is an error naming the file and the cause; the
// same reader, tolerant, lets `contractbot queue salvage` copy every task it
// can still read. The layout is bbolt 1.x's (go.etcd.io/bbolt,
// internal/common): page and meta headers, branch and leaf elements, in the
// machine's byte binary.NativeEndian.

// ErrDamaged is the cause of an error about a queue file that cannot be
// used as it is: empty although it exists, truncated, or with a page that
// does not read as bbolt wrote it. `contractbot queue salvage` copies what
// can still be read into a fresh file.
var ErrDamaged = errors.New("queue file damaged")

const (
	pageHeaderSize  = 16
	elementSize     = 16 // a branch or leaf element
	bucketHeader    = 16 // root pgid and sequence of a bucket value
	flagBranch      = 0x01
	flagLeaf        = 0x02
	flagMeta        = 0x04
	flagFreelist    = 0x10
	flagBucketLeaf  = 0x01
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	noFreelist      = ^uint64(0)
	metaChecksumEnd = pageHeaderSize + 56 // the checksum covers the meta before it
	maxPageSize     = 1 << 20
)

// boltMeta is a valid meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64 // the root bucket's page
	freelist uint64 // noFreelist when not stored (NoFreelistSync)
	pgid     uint64 // high-water mark: pages in use
	txid     uint64
}

// boltFile is a queue file opened for reading structure, without mmap.
type boltFile struct {
	path string
	f    *os.File
	size int64
	meta boltMeta
	// truncated, when not zero, is how many whole pages a truncated file
	// still holds (tolerant reading only).
	truncated uint64
}

// damaged returns an ErrDamaged error; callers name the file.
func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// openBoltFile reads the meta pages of the file at path, as bbolt chooses
// between them (the valid one with the higher transaction id; bbolt writes
// its structures in the machine's byte order), and checks that the file
// holds every page the meta counts. Tolerant (for salvage), a truncated
// file is read as far as it goes.
func openBoltFile(path string, tolerant bool, lockWait time.Duration) (*boltFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := lockShared(f, lockWait); err != nil {
		f.Close()
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	b := &boltFile{path: path, f: f, size: fi.Size()}
	if b.size == 0 {
		f.Close()
		return nil, damaged("the file is empty (0 bytes): the queue it held is gone, and starting on it would drop every stored task")
	}
	m, err := b.readMetas()
	if err != nil {
		f.Close()
		return nil, err
	}
	b.meta = m
	if need := int64(m.pgid) * int64(m.pageSize); b.size < need {
		if !tolerant {
			f.Close()
			return nil, damaged("truncated: %d bytes, but its meta page counts %d pages of %d bytes (%d bytes)", b.size, m.pgid, m.pageSize, need)
		}
		b.truncated = uint64(b.size / int64(m.pageSize))
	}
	if m.root < 2 || m.root >= m.pgid {
		f.Close()
		return nil, damaged("the root bucket's page %d is outside the file's %d pages", m.root, m.pgid)
	}
	if m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid) {
		f.Close()
		return nil, damaged("the freelist's page %d is outside the file's %d pages", m.freelist, m.pgid)
	}
	return b, nil
}

func (b *boltFile) Close() error { return b.f.Close() }

// readMetas returns the meta bbolt would use. The first meta page is at
// offset 0; the second one page further, where the page size is that of a
// valid meta, or, as bbolt tries, any power of two from 1 KiB.
func (b *boltFile) readMetas() (boltMeta, error) {
	var metas []boltMeta
	var reasons []string
	m0, err := b.metaAt(0)
	if err == nil {
		metas = append(metas, m0)
	} else {
		reasons = append(reasons, "meta page 0: "+err.Error())
	}
	var sizes []int64
	if err == nil {
		sizes = []int64{int64(m0.pageSize)}
	} else {
		for s := int64(1024); s <= 1<<24; s <<= 1 {
			sizes = append(sizes, s)
		}
	}
	for _, s := range sizes {
		if s >= b.size {
			break
		}
		if m1, err := b.metaAt(s); err == nil {
			metas = append(metas, m1)
			break
		} else if len(sizes) == 1 {
			reasons = append(reasons, "meta page 1: "+err.Error())
		}
	}
	switch len(metas) {
	case 0:
		if len(reasons) == 0 {
			reasons = append(reasons, "no meta page")
		}
		return boltMeta{}, damaged("not a readable bbolt file (%s)", strings.Join(reasons, "; "))
	case 1:
		return metas[0], nil
	}
	if metas[1].txid > metas[0].txid {
		return metas[1], nil
	}
	return metas[0], nil
}

// metaAt reads and validates a meta page at offset off.
func (b *boltFile) metaAt(off int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderSize+64)
	if _, err := b.f.ReadAt(buf, off); err != nil {
		return boltMeta{}, fmt.Errorf("unreadable: %w", err)
	}
	m := buf[pageHeaderSize:]
	if binary.NativeEndian.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, errors.New("no bbolt magic number")
	}
	if v := binary.NativeEndian.Uint32(m[4:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(buf[pageHeaderSize:metaChecksumEnd])
	if binary.NativeEndian.Uint64(m[56:]) != h.Sum64() {
		return boltMeta{}, errors.New("checksum mismatch")
	}
	meta := boltMeta{pageSize: binary.NativeEndian.Uint32(m[8:]), root: binary.NativeEndian.Uint64(m[16:]), freelist: binary.NativeEndian.Uint64(m[32:]),
		pgid: binary.NativeEndian.Uint64(m[40:]), txid: binary.NativeEndian.Uint64(m[48:])}
	if ps := meta.pageSize; ps < 512 || ps > maxPageSize || ps&(ps-1) != 0 {
		return boltMeta{}, fmt.Errorf("page size %d", ps)
	}
	if meta.pgid < 3 {
		return boltMeta{}, fmt.Errorf("%d pages in use", meta.pgid)
	}
	return meta, nil
}

// readPage reads page id with its overflow pages and checks its header.
func (b *boltFile) readPage(id uint64) ([]byte, error) {
	ps := int64(b.meta.pageSize)
	if id < 2 || id >= b.meta.pgid {
		return nil, fmt.Errorf("page %d is outside the %d pages in use", id, b.meta.pgid)
	}
	if b.truncated != 0 && id >= b.truncated {
		return nil, fmt.Errorf("page %d is past the end of the truncated file", id)
	}
	head := make([]byte, pageHeaderSize)
	if _, err := b.f.ReadAt(head, int64(id)*ps); err != nil {
		return nil, fmt.Errorf("page %d: unreadable: %w", id, err)
	}
	if got := binary.NativeEndian.Uint64(head); got != id {
		return nil, fmt.Errorf("page %d: says it is page %d", id, got)
	}
	overflow := uint64(binary.NativeEndian.Uint32(head[12:]))
	if id+overflow >= b.meta.pgid || b.truncated != 0 && id+overflow >= b.truncated {
		return nil, fmt.Errorf("page %d: its %d overflow pages run past the %d pages in use", id, overflow, b.meta.pgid)
	}
	span := make([]byte, int64(overflow+1)*ps)
	if _, err := b.f.ReadAt(span, int64(id)*ps); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("page %d: unreadable: %w", id, err)
	}
	return span, nil
}

// pageKV is one element of a branch or leaf page.
type pageKV struct {
	key, value []byte // value: a leaf's value
	bucket     bool   // a leaf element that is a bucket
	child      uint64 // a branch element's page
}

// elements decodes the elements of a page held in span (a page read from
// the file, or an inline bucket's page), checking every offset against it.
func elements(span []byte) (flags uint16, kvs []pageKV, err error) {
	if len(span) < pageHeaderSize {
		return 0, nil, errors.New("shorter than a page header")
	}
	flags, count := binary.NativeEndian.Uint16(span[8:]), int(binary.NativeEndian.Uint16(span[10:]))
	if flags != flagBranch && flags != flagLeaf {
		return flags, nil, fmt.Errorf("type %#x, want a branch (0x01) or leaf (0x02) page", flags)
	}
	if pageHeaderSize+count*elementSize > len(span) {
		return flags, nil, fmt.Errorf("%d elements do not fit in its %d bytes", count, len(span))
	}
	kvs = make([]pageKV, count)
	for i := range kvs {
		at := pageHeaderSize + i*elementSize
		e := span[at : at+elementSize]
		if flags == flagBranch {
			pos, ksize := uint64(binary.NativeEndian.Uint32(e[0:])), uint64(binary.NativeEndian.Uint32(e[4:]))
			if uint64(at)+pos+ksize > uint64(len(span)) {
				return flags, nil, fmt.Errorf("element %d's key runs past the page", i)
			}
			kvs[i] = pageKV{key: span[uint64(at)+pos : uint64(at)+pos+ksize], child: binary.NativeEndian.Uint64(e[8:])}
			continue
		}
		fl, pos, ksize, vsize := binary.NativeEndian.Uint32(e[0:]), uint64(binary.NativeEndian.Uint32(e[4:])), uint64(binary.NativeEndian.Uint32(e[8:])), uint64(binary.NativeEndian.Uint32(e[12:]))
		k0 := uint64(at) + pos
		if k0+ksize+vsize > uint64(len(span)) {
			return flags, nil, fmt.Errorf("element %d's key and value run past the page", i)
		}
		kvs[i] = pageKV{key: span[k0 : k0+ksize], value: span[k0+ksize : k0+ksize+vsize], bucket: fl&flagBucketLeaf != 0}
	}
	return flags, kvs, nil
}

// boltWalker reads every page reachable from the root, checking each as
// bbolt's own consistency check does (type, bounds, key order, one
// reference per page). Strict, it stops at the first problem; otherwise it
// records the problem, skips what the page would have led to, and goes on,
// for salvage.
type boltWalker struct {
	b      *boltFile
	strict bool
	seen   map[uint64]bool
	// problems are the damaged pages, with the bucket they were in.
	problems []string
	// leaf, when set, receives every key and value of every bucket, by
	// the bucket's path from the root ("pending").
	leaf func(bucket []string, key, value []byte)
	// bucket, when set, is told of every bucket found, empty or not.
	bucket func(name []string)
	// onPage, when set, is told of every page read, with its bucket.
	onPage func(bucket []string, id uint64, flags uint16)
}

func (w *boltWalker) problem(bucket []string, err error) error {
	msg := err.Error()
	if len(bucket) > 0 {
		msg = fmt.Sprintf("%s (in bucket %q)", msg, strings.Join(bucket, "/"))
	}
	if w.strict {
		return damaged("%s", msg)
	}
	w.problems = append(w.problems, msg)
	return nil
}

// walk checks the whole file: the tree from the root bucket, then the
// freelist when the file stores one.
func (w *boltWalker) walk() error {
	w.seen = map[uint64]bool{}
	if err := w.tree(nil, w.b.meta.root, nil, nil); err != nil {
		return err
	}
	if fl := w.b.meta.freelist; fl != noFreelist {
		span, err := w.b.readPage(fl)
		if err != nil {
			return w.problem(nil, fmt.Errorf("freelist: %w", err))
		}
		if f := binary.NativeEndian.Uint16(span[8:]); f != flagFreelist {
			return w.problem(nil, fmt.Errorf("freelist page %d: type %#x", fl, f))
		}
		n, first := uint64(binary.NativeEndian.Uint16(span[10:])), uint64(pageHeaderSize)
		if n == 0xFFFF {
			if len(span) < pageHeaderSize+8 {
				return w.problem(nil, fmt.Errorf("freelist page %d: no count", fl))
			}
			n, first = binary.NativeEndian.Uint64(span[pageHeaderSize:]), pageHeaderSize+8
		}
		if first+n*8 > uint64(len(span)) {
			return w.problem(nil, fmt.Errorf("freelist page %d: %d ids do not fit", fl, n))
		}
		for i := range n {
			id := binary.NativeEndian.Uint64(span[first+i*8:])
			if id < 2 || id >= w.b.meta.pgid {
				return w.problem(nil, fmt.Errorf("freelist page %d: free page %d outside the file", fl, id))
			}
			if w.seen[id] {
				return w.problem(nil, fmt.Errorf("page %d is both in use and free", id))
			}
		}
	}
	return nil
}

// tree walks the pages of one bucket from page id; keys must lie in
// [lo, hi) (nil: unbounded), as the parent's branch elements say.
func (w *boltWalker) tree(bucket []string, id uint64, lo, hi []byte) error {
	span, err := w.b.readPage(id)
	if err != nil {
		return w.problem(bucket, err)
	}
	overflow := uint64(binary.NativeEndian.Uint32(span[12:]))
	for i := uint64(0); i <= overflow; i++ {
		if w.seen[id+i] {
			return w.problem(bucket, fmt.Errorf("page %d: referenced twice", id+i))
		}
	}
	for i := uint64(0); i <= overflow; i++ {
		w.seen[id+i] = true
	}
	if w.onPage != nil {
		w.onPage(bucket, id, binary.NativeEndian.Uint16(span[8:]))
	}
	return w.page(bucket, fmt.Sprintf("page %d", id), span, lo, hi)
}

// page checks one page's elements and goes down into what they point at.
func (w *boltWalker) page(bucket []string, name string, span []byte, lo, hi []byte) error {
	flags, kvs, err := elements(span)
	if err != nil {
		return w.problem(bucket, fmt.Errorf("%s: %w", name, err))
	}
	for i, kv := range kvs {
		switch {
		case i > 0 && bytes.Compare(kvs[i-1].key, kv.key) >= 0,
			lo != nil && bytes.Compare(kv.key, lo) < 0,
			hi != nil && bytes.Compare(kv.key, hi) >= 0:
			if err := w.problem(bucket, fmt.Errorf("%s: key %d is out of order", name, i)); err != nil {
				return err
			}
			return nil // the page cannot be trusted
		}
	}
	for i, kv := range kvs {
		if flags == flagBranch {
			next := hi
			if i+1 < len(kvs) {
				next = kvs[i+1].key
			}
			if err := w.tree(bucket, kv.child, kv.key, next); err != nil {
				return err
			}
			continue
		}
		if !kv.bucket {
			if w.leaf != nil {
				w.leaf(bucket, kv.key, kv.value)
			}
			continue
		}
		sub := append(append([]string(nil), bucket...), string(kv.key))
		if w.bucket != nil {
			w.bucket(sub)
		}
		if len(kv.value) < bucketHeader {
			if err := w.problem(sub, fmt.Errorf("%s: bucket value of %d bytes", name, len(kv.value))); err != nil {
				return err
			}
			continue
		}
		root := binary.NativeEndian.Uint64(kv.value)
		var err error
		if root == 0 {
			inline := kv.value[bucketHeader:]
			if f := uint16(0); len(inline) >= pageHeaderSize {
				if f = binary.NativeEndian.Uint16(inline[8:]); f != flagLeaf {
					err = w.problem(sub, fmt.Errorf("%s: inline bucket page of type %#x", name, f))
				} else {
					err = w.page(sub, name+" (inline bucket)", inline, nil, nil)
				}
			} else {
				err = w.problem(sub, fmt.Errorf("%s: inline bucket of %d bytes", name, len(inline)))
			}
		} else {
			err = w.tree(sub, root, nil, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
