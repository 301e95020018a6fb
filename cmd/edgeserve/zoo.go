package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/edgeserve/edgeserve/runtime/zoo"
	"github.com/spf13/cobra"
)

// zooFlags are the options of `edgeserve zoo`.
type zooFlags struct {
	out    string
	set    string
	models []string
	seed   uint64
	force  bool
	list   bool
}

func newZooCmd() *cobra.Command {
	f := zooFlags{set: zoo.SetSmall, seed: zoo.DefaultOptions().Seed}
	cmd := &cobra.Command{
		Use:   "zoo --out DIR [--set small|full|test | --models a,b]",
		Short: "Generate the model zoo: real ONNX models with seeded random weights",
		Long: "Generate ONNX models of the EdgeServe poster's architectures (and test models) into DIR,\n" +
			"each with a NAME.json manifest. Models already there with the same seed are kept.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.list {
				return listZoo(cmd.OutOrStdout())
			}
			return runZoo(cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "directory to write models and manifests into")
	fl.StringVar(&f.set, "set", f.set, "model set: test, small or full")
	fl.StringSliceVar(&f.models, "models", nil, "models to generate (overrides --set)")
	fl.Uint64Var(&f.seed, "seed", f.seed, "base seed of the random weights")
	fl.BoolVar(&f.force, "force", false, "regenerate models that are already up to date")
	fl.BoolVar(&f.list, "list", false, "list the models and exit")
	return cmd
}

func runZoo(progress io.Writer, f zooFlags) error {
	if f.out == "" {
		return fmt.Errorf("zoo: --out is required")
	}
	names := f.models
	if len(names) == 0 {
		var err error
		if names, err = zoo.Names(f.set); err != nil {
			return err
		}
	}
	opts := zoo.Options{Seed: f.seed, Force: f.force}
	for i, name := range names {
		start := time.Now()
		m, generated, err := zoo.Ensure(f.out, name, opts)
		if err != nil {
			return err
		}
		state := "up to date"
		if generated {
			state = fmt.Sprintf("generated in %v", time.Since(start).Round(time.Millisecond))
		}
		fmt.Fprintf(progress, "zoo: [%d/%d] %-20s %9s %12d params  %s\n",
			i+1, len(names), name, humanBytes(m.FileBytes), m.Params, state)
	}
	return nil
}

func listZoo(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFAMILY\tSET\tPARAMS\tACCURACY")
	for _, m := range zoo.Catalog() {
		params, err := zoo.Params(m.Name)
		if err != nil {
			return err
		}
		acc := "-"
		if m.Task == zoo.TaskImageClassification {
			acc = fmt.Sprintf("%.1f %s", m.Accuracy, m.AccuracyMetric)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", m.Name, m.Family, m.Set, params, acc)
	}
	fmt.Fprintf(tw, "\nSets nest: %s ⊂ %s ⊂ %s.\n", zoo.SetTest, zoo.SetSmall, zoo.SetFull)
	return tw.Flush()
}

// humanBytes formats a size in decimal units (B, kB, MB, GB).
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, prefixes := float64(n)/unit, "kMG"
	i := 0
	for ; v >= unit && i < len(prefixes)-1; i++ {
		v /= unit
	}
	return fmt.Sprintf("%.1f %cB", v, prefixes[i])
}
