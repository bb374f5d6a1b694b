package webhook

import "time"

// LeafPages returns the leaf pages of a top-level bucket of the queue file
// at path, for tests that damage one page of a bucket and not its root.
func LeafPages(path, bucket string) ([]uint64, error) {
	b, err := openBoltFile(path, false, time.Second)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var leaves []uint64
	w := &boltWalker{b: b, strict: true, onPage: func(name []string, id uint64, flags uint16) {
		if len(name) == 1 && name[0] == bucket && flags == flagLeaf {
			leaves = append(leaves, id)
		}
	}}
	return leaves, w.walk()
}
