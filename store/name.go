package store

import (
	"fmt"
	"strconv"
)

// MaxNameLen bounds model names, tasks, label keys and runtime keys (bytes).
const MaxNameLen = 128

// ValidateName checks a model name: 1 to MaxNameLen characters from
// [A-Za-z0-9._-], starting with a letter or digit. So a name can never be a
// path separator, "." or "..", and is safe as a file or URL path element.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q: length must be 1 to %d", ErrInvalidName, name, MaxNameLen)
	}
	if !isAlnum(name[0]) {
		return fmt.Errorf("%w: %q: must start with a letter or digit", ErrInvalidName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%w: %q: character %q not in [A-Za-z0-9._-]", ErrInvalidName, name, c)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Latest is the version reference that resolves to a model's highest version.
const Latest = "latest"

// ParseVersion reads a version reference: a positive integer, or "" or
// "latest" which return 0 (meaning the highest version).
func ParseVersion(ref string) (int64, error) {
	if ref == "" || ref == Latest {
		return 0, nil
	}
	v, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%w: version %q: want a positive integer or %q", ErrInvalidName, ref, Latest)
	}
	return v, nil
}
