package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Digest is the sha256 of a blob's bytes. Its text form is "sha256:<hex>".
type Digest [sha256.Size]byte

const digestPrefix = "sha256:"

// ParseDigest reads "sha256:<64 hex>" or a bare 64-character hex string.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	h := strings.TrimPrefix(s, digestPrefix)
	if len(h) != 2*len(d) {
		return d, fmt.Errorf("%w: digest %q: want %d hex characters", ErrInvalidName, s, 2*len(d))
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return d, fmt.Errorf("%w: digest %q: %v", ErrInvalidName, s, err)
	}
	return d, nil
}

// String is "sha256:<hex>".
func (d Digest) String() string { return digestPrefix + d.Hex() }

// Hex is the bare lower-case hex form, used as the blob's file name.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is unset.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText implements encoding.TextMarshaler.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Digest) UnmarshalText(b []byte) error {
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
