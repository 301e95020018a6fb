package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/edgeserve/edgeserve/store"
)

// newModelsCmd is the `models` command group. Each subcommand is one line in
// the AddCommand list below.
func newModelsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "Manage models: import into a local data dir, or push, list, load, unload and remove on nodes",
	}
	cmd.AddCommand(
		newModelsImportCmd(),
		newModelsLsCmd(),
	)
	addRemoteModelCmds(cmd)
	return cmd
}

// addDataDirFlag adds the --data-dir flag of subcommands that work on a
// node's data directory directly (the node must not be running on it).
func addDataDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "data-dir", os.Getenv("EDGESERVE_DATA_DIR"), "node data directory (default $EDGESERVE_DATA_DIR)")
}

// openLocalStore opens the store in dir and reports start-up findings.
func openLocalStore(ctx context.Context, cmd *cobra.Command, dir string) (*store.Store, error) {
	if dir == "" {
		return nil, errors.New("models: --data-dir is required")
	}
	s, rep, err := store.Open(ctx, store.DefaultConfig(dir), store.Deps{})
	if err != nil {
		return nil, err
	}
	if !rep.Clean() {
		fmt.Fprintf(cmd.ErrOrStderr(), "store check: %d orphan blobs, %d records without blob %v, %d quarantined, %d temp files removed\n",
			len(rep.OrphanBlobs), len(rep.MissingBlobs), rep.MissingBlobs, len(rep.Quarantined), len(rep.TempFilesRemoved))
	}
	return s, nil
}

type importFlags struct {
	dataDir  string
	name     string
	version  int64
	task     string
	accuracy float64
	labels   []string
}

func newModelsImportCmd() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import FILE.onnx|TRITON_REPO",
		Short: "Import an ONNX file or an NVIDIA Triton model repository into a data dir",
		Long: "Import an ONNX file (name defaults to the file name without .onnx, version to the next free one)\n" +
			"or a Triton model repository (<repo>/<model>/config.pbtxt, <repo>/<model>/<version>/model.onnx)\n" +
			"as it is: names, versions, inputs, outputs and max_batch_size come from the repository.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, args[0], f)
		},
	}
	addDataDirFlag(cmd, &f.dataDir)
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "model name ([A-Za-z0-9._-], starts with a letter or digit)")
	fl.Int64Var(&f.version, "version", 0, "model version (default: next free)")
	fl.StringVar(&f.task, "task", "", "task the model performs, e.g. image-classification")
	fl.Float64Var(&f.accuracy, "accuracy", 0, "accuracy as a fraction in [0, 1]")
	fl.StringArrayVar(&f.labels, "label", nil, "label k=v (repeatable)")
	return cmd
}

func runImport(cmd *cobra.Command, path string, f importFlags) error {
	labels, err := parseLabels(f.labels)
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	ctx := cmd.Context()
	s, err := openLocalStore(ctx, cmd, f.dataDir)
	if err != nil {
		return err
	}
	defer s.Close()
	var recs []store.Record
	if fi.IsDir() {
		recs, err = importTritonDir(ctx, cmd, s, path, f, labels)
	} else {
		recs, err = importONNXFile(ctx, s, path, fi.Size(), f, labels)
	}
	for _, r := range recs {
		fmt.Fprintf(cmd.OutOrStdout(), "imported %s %s %s\n", r.Ref(), r.Digest, humanBytes(r.SizeBytes))
	}
	return err
}

func importONNXFile(ctx context.Context, s *store.Store, path string, size int64, f importFlags, labels map[string]string) ([]store.Record, error) {
	name := f.name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), ".onnx")
	}
	meta := store.ModelMeta{
		Name: name, Version: f.version, Task: f.task, Accuracy: f.accuracy, Labels: labels,
		Progress: progressWriter(name, size),
	}
	rec, err := s.ImportFile(ctx, path, meta)
	if err != nil {
		return nil, err
	}
	return []store.Record{rec}, nil
}

func importTritonDir(ctx context.Context, cmd *cobra.Command, s *store.Store, dir string, f importFlags, labels map[string]string) ([]store.Record, error) {
	if f.name != "" || f.version != 0 {
		return nil, errors.New("models: --name and --version apply to single files; a Triton repository names and versions its models")
	}
	res, err := s.ImportTriton(ctx, dir, store.TritonOptions{
		Task: f.task, Accuracy: f.accuracy, Labels: labels,
		Progress: func(label string, size int64) io.Writer { return progressWriter(label, size) },
	})
	for _, skip := range res.Skipped {
		fmt.Fprintln(cmd.ErrOrStderr(), "skipped", skip)
	}
	return res.Imported, err
}

// progressWriter returns a progress bar on a terminal and nil (no output)
// otherwise, so scripts and logs stay clean.
func progressWriter(label string, size int64) io.Writer {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return progressbar.DefaultBytes(size, "importing "+label)
}

func parseLabels(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	labels := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("models: --label %q: want key=value", kv)
		}
		labels[k] = v
	}
	return labels, nil
}

func newModelsLsCmd() *cobra.Command {
	var dataDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the models in a data dir",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openLocalStore(cmd.Context(), cmd, dataDir)
			if err != nil {
				return err
			}
			defer s.Close()
			recs, err := s.List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), recs)
			}
			return writeModelTable(cmd.OutOrStdout(), recs)
		},
	}
	addDataDirFlag(cmd, &dataDir)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeJSON(w io.Writer, recs []store.Record) error {
	if recs == nil {
		recs = []store.Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(recs)
}

func writeModelTable(w io.Writer, recs []store.Record) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSIZE\tTASK\tACCURACY\tDIGEST\tCREATED")
	for _, r := range recs {
		acc := "-"
		if r.Accuracy > 0 {
			acc = fmt.Sprintf("%.3f", r.Accuracy)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Version, humanBytes(r.SizeBytes),
			dash(r.Task), acc, r.Digest.String()[:19], r.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
