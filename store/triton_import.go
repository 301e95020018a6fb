package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// TritonOptions adds what a Triton repository does not say.
type TritonOptions struct {
	Task     string
	Accuracy float64
	Labels   map[string]string
	// Progress, when set, is asked for a writer that receives the bytes of
	// each model file as they are stored (label is "name:version").
	Progress func(label string, sizeBytes int64) io.Writer
}

// TritonResult lists what a repository import stored and what it skipped.
type TritonResult struct {
	Imported []Record
	Skipped  []string // "path: reason"
}

const tritonConfigFile = "config.pbtxt"

// ImportTriton imports an NVIDIA Triton model repository as it is:
// <repo>/<model>/config.pbtxt and <repo>/<model>/<version>/model.onnx (or
// the config's default_model_filename). dir may also be one model's
// directory. Version directories keep their numbers. A config that does not
// parse fails the import of that model; a model that is not ONNX or a
// version directory without a model file is skipped and listed.
func (s *Store) ImportTriton(ctx context.Context, dir string, opts TritonOptions) (TritonResult, error) {
	var res TritonResult
	models, err := tritonModelDirs(dir)
	if err != nil {
		return res, err
	}
	for _, md := range models {
		if err := s.importTritonModel(ctx, md, opts, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// tritonModelDirs returns dir itself if it holds a config.pbtxt, else its
// subdirectories.
func tritonModelDirs(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, tritonConfigFile)); err == nil {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: triton repository: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

func (s *Store) importTritonModel(ctx context.Context, dir string, opts TritonOptions, res *TritonResult) error {
	meta, file, err := readTritonModel(dir)
	if errors.Is(err, errSkip) {
		res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", dir, err))
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: triton model %s: %w", dir, err)
	}
	meta.Task, meta.Accuracy, meta.Labels = opts.Task, opts.Accuracy, opts.Labels
	versions, err := tritonVersions(dir)
	if err != nil {
		return err
	}
	for _, v := range versions {
		path := filepath.Join(dir, strconv.FormatInt(v, 10), file)
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: no model file", path))
			continue
		}
		m := meta
		m.Version = v
		rec, err := s.importWithProgress(ctx, path, m, opts.Progress)
		if err != nil {
			return err
		}
		res.Imported = append(res.Imported, rec)
	}
	return nil
}

var errSkip = errors.New("skipped")

// readTritonModel reads dir's config.pbtxt (optional, as in Triton for
// ONNX models) into ModelMeta and returns the model file name.
func readTritonModel(dir string) (ModelMeta, string, error) {
	name := filepath.Base(dir)
	if err := ValidateName(name); err != nil {
		return ModelMeta{}, "", fmt.Errorf("%w: %v", errSkip, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, tritonConfigFile))
	if os.IsNotExist(err) {
		return ModelMeta{Name: name, Platform: PlatformONNXRuntime}, "model.onnx", nil
	}
	if err != nil {
		return ModelMeta{}, "", err
	}
	cfg, err := ParseTritonConfig(b)
	if err != nil {
		return ModelMeta{}, "", err
	}
	if !isTritonONNX(cfg) {
		return ModelMeta{}, "", fmt.Errorf("%w: platform %q backend %q is not ONNX", errSkip, cfg.GetPlatform(), cfg.GetBackend())
	}
	meta, err := tritonMeta(cfg, name)
	if err != nil {
		return ModelMeta{}, "", err
	}
	file := cfg.GetDefaultModelFilename()
	if file == "" {
		file = "model.onnx"
	}
	if file != filepath.Base(file) || file == ".." {
		return ModelMeta{}, "", fmt.Errorf("%w: default_model_filename %q", ErrInvalidTritonConfig, file)
	}
	return meta, file, nil
}

// tritonVersions lists the numeric version directories, ascending.
func tritonVersions(dir string) ([]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: triton model %s: %w", dir, err)
	}
	var vs []int64
	for _, e := range entries {
		if v, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && v > 0 && e.IsDir() {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs, nil
}

func (s *Store) importWithProgress(ctx context.Context, path string, m ModelMeta, progress func(string, int64) io.Writer) (Record, error) {
	if progress != nil {
		fi, err := os.Stat(path)
		if err != nil {
			return Record{}, fmt.Errorf("store: import: %w", err)
		}
		m.Progress = progress(fmt.Sprintf("%s:%d", m.Name, m.Version), fi.Size())
	}
	return s.ImportFile(ctx, path, m)
}
