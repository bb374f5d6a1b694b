package githubfake

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// packedObject is one object to write into a pack: its id and the object.
type packedObject struct {
	id  string
	obj *object
}

// packType is the pack's code for an object type (git's OBJ_COMMIT ...).
func packType(typ string) (byte, error) {
	switch typ {
	case typeCommit:
		return 1, nil
	case typeTree:
		return 2, nil
	case typeBlob:
		return 3, nil
	case "tag":
		return 4, nil
	}
	return 0, fmt.Errorf("githubfake: no pack type for object type %q", typ)
}

// writePack writes objs as one pack (version 2, every object whole and
// zlib-compressed, no deltas) with its version 2 index into packDir, the
// way `git index-pack` would leave them, and returns the pack's name.
//
// Writing the pack and index directly, rather than running git for each
// object or feeding `git index-pack`, is what makes materializing a
// 44,000-file repository take a fraction of a second: the fake already
// holds every object uncompressed and knows its id.
func writePack(packDir string, objs []packedObject) (string, error) {
	if len(objs) == 0 {
		return "", nil
	}
	slices.SortFunc(objs, func(a, b packedObject) int {
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	var pack bytes.Buffer
	pack.WriteString("PACK")
	_ = binary.Write(&pack, binary.BigEndian, uint32(2))
	_ = binary.Write(&pack, binary.BigEndian, uint32(len(objs)))
	offsets := make([]uint64, len(objs))
	crcs := make([]uint32, len(objs))
	names := make([][]byte, len(objs))
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	for i, po := range objs {
		raw, err := hex.DecodeString(po.id)
		if err != nil || len(raw) != sha1.Size {
			return "", fmt.Errorf("githubfake: bad object id %q", po.id)
		}
		names[i] = raw
		t, err := packType(po.obj.typ)
		if err != nil {
			return "", err
		}
		start := pack.Len()
		offsets[i] = uint64(start)
		// Header: type and size, the size's low 4 bits first, then 7 bits
		// per byte, the high bit saying another byte follows.
		size := uint64(len(po.obj.data))
		c := t<<4 | byte(size&0x0f)
		size >>= 4
		for size != 0 {
			pack.WriteByte(c | 0x80)
			c = byte(size & 0x7f)
			size >>= 7
		}
		pack.WriteByte(c)
		zw.Reset(&pack)
		if _, err := zw.Write(po.obj.data); err != nil {
			return "", err
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
		crcs[i] = crc32.ChecksumIEEE(pack.Bytes()[start:])
	}
	packSum := sha1.Sum(pack.Bytes())
	pack.Write(packSum[:])

	var idx bytes.Buffer
	idx.Write([]byte{0xff, 't', 'O', 'c'})
	_ = binary.Write(&idx, binary.BigEndian, uint32(2))
	var fanout [256]uint32
	for _, n := range names {
		fanout[n[0]]++
	}
	for i := 1; i < 256; i++ {
		fanout[i] += fanout[i-1]
	}
	_ = binary.Write(&idx, binary.BigEndian, fanout[:])
	for _, n := range names {
		idx.Write(n)
	}
	_ = binary.Write(&idx, binary.BigEndian, crcs)
	var large []uint64
	for _, off := range offsets {
		if off < 1<<31 {
			_ = binary.Write(&idx, binary.BigEndian, uint32(off))
			continue
		}
		_ = binary.Write(&idx, binary.BigEndian, uint32(1<<31|len(large)))
		large = append(large, off)
	}
	_ = binary.Write(&idx, binary.BigEndian, large)
	idx.Write(packSum[:])
	idxSum := sha1.Sum(idx.Bytes())
	idx.Write(idxSum[:])

	name := "pack-" + hex.EncodeToString(packSum[:])
	// The pack first, then its index, each renamed into place: git only
	// looks at packs whose index exists, so a reader never sees half a pack.
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".pack", pack.Bytes()}, {".idx", idx.Bytes()}} {
		tmp := filepath.Join(packDir, "tmp-"+name+f.ext)
		if err := os.WriteFile(tmp, f.data, 0o444); err != nil {
			return "", fmt.Errorf("githubfake: write pack: %w", err)
		}
		if err := os.Rename(tmp, filepath.Join(packDir, name+f.ext)); err != nil {
			return "", fmt.Errorf("githubfake: write pack: %w", err)
		}
	}
	return name, nil
}
