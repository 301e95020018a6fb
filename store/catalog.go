package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// catalog is the bbolt file of model records and artifacts.
//
// Bucket "models": key = name + 0x00 + version (8 bytes big-endian), so one
// name's versions are adjacent and ordered; value = encoded Record.
// Bucket "artifacts": key = digest (32 bytes) + runtime key; value = encoded
// Artifact.
// Bucket "versions": key = name; value = the highest version ever assigned
// to it (8 bytes big-endian), so a deleted version's number is never handed
// out again: a node's caches and statistics keyed by name and version never
// mistake new bytes for the deleted ones.
type catalog struct {
	db *bolt.DB
}

var (
	bucketModels    = []byte("models")
	bucketArtifacts = []byte("artifacts")
	bucketVersions  = []byte("versions")
)

func openCatalog(path string, timeout time.Duration) (*catalog, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("store: open catalog %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketModels, bucketArtifacts, bucketVersions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: init catalog: %w", err)
	}
	return &catalog{db: db}, nil
}

func (c *catalog) close() error { return c.db.Close() }

func modelKey(name string, version int64) []byte {
	k := make([]byte, 0, len(name)+9)
	k = append(append(k, name...), 0)
	return binary.BigEndian.AppendUint64(k, uint64(version))
}

func namePrefix(name string) []byte { return append([]byte(name), 0) }

// errVersionTaken signals, inside put, that the version holds other bytes.
var errVersionTaken = errors.New("taken")

// put stores r. If r.Version is 0 it takes the next free version, unless the
// highest version already holds the same digest, which is returned instead
// (an import of the same bytes twice is idempotent). An explicit version
// that exists with the same digest is returned as is; with another digest
// it fails with ErrExists.
func (c *catalog) put(r Record) (Record, error) {
	var out Record
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		prev, found, err := c.existing(b, r)
		if err != nil || found {
			out = prev
			return err
		}
		hw := tx.Bucket(bucketVersions)
		if r.Version == 0 {
			r.Version = max(prev.Version, highWater(hw, r.Name)) + 1
		}
		val, err := encodeRecord(r)
		if err != nil {
			return err
		}
		out = r
		if err := b.Put(modelKey(r.Name, r.Version), val); err != nil {
			return err
		}
		return hw.Put([]byte(r.Name), binary.BigEndian.AppendUint64(nil, uint64(max(r.Version, highWater(hw, r.Name)))))
	})
	if errors.Is(err, errVersionTaken) {
		return Record{}, fmt.Errorf("%w: %s holds %s", ErrExists, out.Ref(), out.Digest)
	}
	return out, err
}

// highWater is the highest version ever assigned to name (0: none).
func highWater(hw *bolt.Bucket, name string) int64 {
	v := hw.Get([]byte(name))
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// existing finds the record r would collide with or duplicate. found means
// an identical record exists; for a next-free put prev is the highest one.
func (c *catalog) existing(b *bolt.Bucket, r Record) (prev Record, found bool, err error) {
	if r.Version != 0 {
		v := b.Get(modelKey(r.Name, r.Version))
		if v == nil {
			return Record{}, false, nil
		}
		if prev, err = decodeRecord(v); err != nil {
			return prev, false, err
		}
		if prev.Digest != r.Digest {
			return prev, false, errVersionTaken
		}
		return prev, true, nil
	}
	prev, ok, err := lastVersion(b, r.Name)
	if err != nil || !ok {
		return Record{}, false, err
	}
	return prev, prev.Digest == r.Digest, nil
}

func lastVersion(b *bolt.Bucket, name string) (Record, bool, error) {
	p := namePrefix(name)
	c := b.Cursor()
	k, v := c.Seek(append(bytes.Clone(p), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, p) || len(k) != len(p)+8 {
		return Record{}, false, nil
	}
	r, err := decodeRecord(v)
	return r, err == nil, err
}

// get resolves name and version (0 = highest).
func (c *catalog) get(name string, version int64) (Record, error) {
	var r Record
	err := c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		if version == 0 {
			rec, ok, err := lastVersion(b, name)
			if err != nil || !ok {
				return err
			}
			r = rec
			return nil
		}
		v := b.Get(modelKey(name, version))
		if v == nil {
			return nil
		}
		var err error
		r, err = decodeRecord(v)
		return err
	})
	if err == nil && r.Name == "" {
		err = fmt.Errorf("%w: model %s version %s", ErrNotFound, name, versionText(version))
	}
	return r, err
}

func versionText(v int64) string {
	if v == 0 {
		return Latest
	}
	return fmt.Sprint(v)
}

// delete removes one version.
func (c *catalog) delete(name string, version int64) (Record, error) {
	var r Record
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		k := modelKey(name, version)
		v := b.Get(k)
		if v == nil {
			return fmt.Errorf("%w: model %s version %d", ErrNotFound, name, version)
		}
		var err error
		if r, err = decodeRecord(v); err != nil {
			return err
		}
		return b.Delete(k)
	})
	return r, err
}

// list returns every record, ordered by name then version. A record that
// does not decode is an error naming its key, not skipped silently.
func (c *catalog) list() ([]Record, error) {
	var out []Record
	err := c.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketModels).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// referenced returns every digest a record points at. Artifacts do not
// keep a blob: GC removes them with it.
func (c *catalog) referenced() (map[Digest]bool, error) {
	refs := map[Digest]bool{}
	recs, err := c.list()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		refs[r.Digest] = true
	}
	return refs, nil
}

// artifactDigests lists the blobs that have artifact records.
func (c *catalog) artifactDigests() (map[Digest]bool, error) {
	out := map[Digest]bool{}
	err := c.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketArtifacts).ForEach(func(k, _ []byte) error {
			var d Digest
			if len(k) > len(d) {
				copy(d[:], k)
				out[d] = true
			}
			return nil
		})
	})
	return out, err
}
