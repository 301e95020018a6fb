package profile

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/edgeserve/edgeserve/internal/shared"
)

// measured holds the project's own committed measurements (see
// measured/README.md).
//
//go:embed measured
var measured embed.FS

// zooFile is the committed `edgeserve bench runtime --json` of the zoo.
const zooFile = "measured/zoo-bench.json"

// ErrNoZoo is returned by Zoo when no zoo measurements are committed.
var ErrNoZoo = errors.New("profile: no committed zoo measurements (" + zooFile + "); pass the JSON of `edgeserve bench runtime --json` as a file instead")

// Zoo returns the EdgeServe zoo as measured by the runtime benchmark on
// the reference machine, loading along path.
func Zoo(path LoadPath) ([]Model, error) {
	f, err := measured.Open(zooFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoZoo
	}
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	return ReadBench(f, path)
}

// M5SharedFile is the CremeBrulee measurements' file in the project's
// shared data (internal/shared: $EDGESERVE_SHARED, or ../shared beside the
// checkout).
const M5SharedFile = "profiles/cremebrulee-keras-m5large.json"

// M5File finds M5SharedFile. The error wraps shared.ErrNotFound and says
// where it looked.
func M5File() (string, error) {
	p, err := shared.File(M5SharedFile)
	if err != nil {
		return "", fmt.Errorf("profile: the m5 profile set (pass its file's path instead): %w", err)
	}
	return p, nil
}

// Load resolves a profile set by name: "poster" (Table I, built in),
// "zoo" (the committed bench output), "m5" (M5File), or the path of
// a JSON file in either the bench format (an object) or the CremeBrulee
// format (an array). path picks the bench load path.
func Load(spec string, path LoadPath) ([]Model, error) {
	switch spec {
	case "poster":
		return Poster(), nil
	case "zoo":
		return Zoo(path)
	case "m5":
		p, err := M5File()
		if err != nil {
			return nil, err
		}
		spec = p
	}
	f, err := os.Open(spec)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	models, err := Read(f, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	return models, nil
}

// Read decodes either file format, telling them apart by the first
// non-space byte.
func Read(r io.Reader, path LoadPath) ([]Model, error) {
	br := bufio.NewReader(r)
	for {
		b, err := br.ReadByte()
		if err != nil {
			return nil, malformed("empty profile file")
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			_ = br.UnreadByte() // cannot fail right after ReadByte
			return ReadM5(br)
		case '{':
			_ = br.UnreadByte()
			return ReadBench(br, path)
		default:
			return nil, malformed("profile file starts with %q, want a JSON object or array", b)
		}
	}
}
