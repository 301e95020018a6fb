package ort

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/runtime"
)

// PreparedModelFile is the prepared form's graph inside its directory; its
// weights file sits next to it.
const PreparedModelFile = "model.onnx"

// Prepare makes the fast-loading form of the model at modelPath in outDir
// and returns the prepared model's path. It lets ONNX Runtime optimise the
// graph fully and save it with its initializers in an external file, then
// keeps or rewrites that into one weights file whose initializers ONNX
// Runtime memory-maps at load instead of copying (layout.go), and saves
// the result in ONNX Runtime's own format too (ortformat.go). The original is never modified.
// The result depends on ArtifactKey; outDir should be keyed by it. Files
// appear atomically: the graph is renamed into place last, after its
// uniquely named weights file, so concurrent Prepares of one model in
// several processes each leave a consistent pair.
func (l *Loader) Prepare(ctx context.Context, modelPath, outDir string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	sig, err := readSignature(modelPath)
	if err != nil {
		return "", fmt.Errorf("ort: prepare %s: %w", modelPath, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	work, err := os.MkdirTemp(outDir, ".prepare-*")
	if err != nil {
		return "", fmt.Errorf("ort: prepare: %w", err)
	}
	defer os.RemoveAll(work)
	if err := l.optimize(modelPath, work, sig.Signature); err != nil {
		return "", fmt.Errorf("ort: prepare %s: %w", modelPath, err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	path, err := l.align(work, outDir)
	if err != nil {
		return "", err
	}
	// Without the ORT format the form still loads, from its ONNX graph.
	if err := l.saveORTFormat(path, sig.Signature); err != nil {
		l.log.Warn("ort: cannot save the ORT format of a prepared model", zap.String("model", modelPath), zap.Error(err))
	}
	return path, nil
}

// optimize has ONNX Runtime save the fully optimised model into dir, with
// initializers above ExternalMinBytes in an external file.
func (l *Loader) optimize(modelPath, dir string, sig runtime.Signature) error {
	opts, err := l.newOptions(modeDefault)
	if err != nil {
		return err
	}
	defer opts.Destroy()
	entries := [][2]string{
		{keyExternalFile, optimizedDataFileName},
		{keyExternalMinBytes, fmt.Sprint(l.cfg.ExternalMinBytes)},
	}
	for _, e := range entries {
		if err := opts.AddSessionConfigEntry(e[0], e[1]); err != nil {
			return fmt.Errorf("session config %s: %w", e[0], err)
		}
	}
	if err := opts.SetOptimizedModelFilePath(filepath.Join(dir, optimizedModelFileName)); err != nil {
		return fmt.Errorf("optimized model path: %w", err)
	}
	sess, err := l.newSessionWith(modelPath, sig, opts)
	if err != nil {
		return err
	}
	return sess.Destroy()
}

// ensurePrepared returns the prepared form of src, preparing it if it does
// not exist yet, and how long preparing took (0 when it existed).
func (l *Loader) ensurePrepared(ctx context.Context, src runtime.Source) (string, time.Duration, error) {
	dir, err := l.preparedDir(src)
	if err != nil {
		return "", 0, err
	}
	path := filepath.Join(dir, PreparedModelFile)
	if _, err := os.Stat(path); err == nil {
		return path, 0, nil
	}
	type result struct {
		path string
		took time.Duration
	}
	v, err, _ := l.prepares.Do(dir, func() (any, error) {
		start := time.Now()
		p, err := l.Prepare(ctx, src.Path, dir)
		return result{p, time.Since(start)}, err
	})
	r := v.(result)
	return r.path, r.took, err
}

// preparedDir is where src's prepared form lives: src.PreparedDir if set,
// else PreparedDir, then the model's digest (or, without one, a hash of its
// path, size and modification time), then ArtifactKey.
func (l *Loader) preparedDir(src runtime.Source) (string, error) {
	if src.PreparedDir != "" {
		return src.PreparedDir, nil
	}
	id := src.Digest
	if id == "" {
		info, err := os.Stat(src.Path)
		if err != nil {
			return "", fmt.Errorf("ort: %w", err)
		}
		abs, _ := filepath.Abs(src.Path)
		sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", abs, info.Size(), info.ModTime().UnixNano()))
		id = "file-" + hex.EncodeToString(sum[:12])
	}
	id = strings.NewReplacer("/", "_", ":", "_", "\\", "_", "..", "_").Replace(id)
	return filepath.Join(l.cfg.PreparedDir, id, filepath.FromSlash(l.ArtifactKey())), nil
}

// PrepareSource makes sure src has a prepared form for this runtime and
// CPU (preparing it once if needed) and returns the prepared model's path.
// The node calls it when a model enters, so that the model's first miss
// already loads the fast way.
func (l *Loader) PrepareSource(ctx context.Context, src runtime.Source) (string, error) {
	path, _, err := l.ensurePrepared(ctx, src)
	return path, err
}
