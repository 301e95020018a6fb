package store

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// Artifact is a per-node derived form of a model blob that the runtime
// prepared (an optimized graph, a compiled engine) so later loads are
// faster. RuntimeKey is opaque to the store, for example
// "ort-1.30.0/x86_64-avx2". The store owns artifacts with their blob: GC
// removes a blob's artifacts (records and the folders ArtifactDir gave)
// with the blob.
type Artifact struct {
	Digest     Digest    `json:"digest"`
	RuntimeKey string    `json:"runtime_key"`
	Paths      []string  `json:"paths"`
	CreatedAt  time.Time `json:"created_at"`
}

// ValidateRuntimeKey checks an artifact's runtime key: 1 to MaxNameLen
// printable characters, not "." or "..".
func ValidateRuntimeKey(key string) error {
	if key == "" || len(key) > MaxNameLen || key == "." || key == ".." {
		return fmt.Errorf("%w: runtime key %q", ErrInvalidName, key)
	}
	for _, r := range key {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fmt.Errorf("%w: runtime key %q: character %q", ErrInvalidName, key, r)
		}
	}
	return nil
}

func artifactKey(d Digest, key string) []byte {
	return append(append([]byte{}, d[:]...), key...)
}

func encodeArtifact(a Artifact) ([]byte, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("store: encode artifact: %w", err)
	}
	return append([]byte{recordSchema}, body...), nil
}

func decodeArtifact(b []byte) (Artifact, error) {
	var a Artifact
	if err := checkSchema(b, "artifact"); err != nil {
		return a, err
	}
	if err := json.Unmarshal(b[1:], &a); err != nil {
		return a, fmt.Errorf("store: decode artifact: %w", err)
	}
	if err := ValidateRuntimeKey(a.RuntimeKey); err != nil {
		return a, fmt.Errorf("store: decode artifact: %w", err)
	}
	return a, nil
}

func (c *catalog) putArtifact(a Artifact) error {
	val, err := encodeArtifact(a)
	if err != nil {
		return err
	}
	return c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketArtifacts).Put(artifactKey(a.Digest, a.RuntimeKey), val)
	})
}

func (c *catalog) getArtifact(d Digest, key string) (Artifact, error) {
	var a Artifact
	err := c.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketArtifacts).Get(artifactKey(d, key))
		if v == nil {
			return fmt.Errorf("%w: artifact %s for %s", ErrNotFound, key, d)
		}
		var err error
		a, err = decodeArtifact(v)
		return err
	})
	return a, err
}

func (c *catalog) deleteArtifact(d Digest, key string) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketArtifacts)
		k := artifactKey(d, key)
		if b.Get(k) == nil {
			return fmt.Errorf("%w: artifact %s for %s", ErrNotFound, key, d)
		}
		return b.Delete(k)
	})
}

// artifacts lists the artifacts derived from blob d.
func (c *catalog) artifacts(d Digest) ([]Artifact, error) {
	var out []Artifact
	err := c.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketArtifacts).Cursor()
		for k, v := cur.Seek(d[:]); k != nil && len(k) > len(d) && Digest(k[:len(d)]) == d; k, v = cur.Next() {
			a, err := decodeArtifact(v)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}
