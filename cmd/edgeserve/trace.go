package main

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgeserve/edgeserve/placement/trace"
)

func newTraceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Convert and generate request traces (CSV: time_ms,model[,site])",
	}
	cmd.AddCommand(newTraceConvertAzureCmd(), newTraceGenerateCmd())
	return cmd
}

func newTraceConvertAzureCmd() *cobra.Command {
	f := &traceFlags{}
	var out string
	cmd := &cobra.Command{
		Use:   "convert-azure",
		Short: "Convert the Azure Functions 2019 per-minute counts into a CSV trace",
		Long: `Each function with at least one invocation becomes one model (fnNNNN, by
row); each minute's invocations are placed uniformly at random within the
minute with a generator seeded by --seed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.azure == "" {
				return fmt.Errorf("--azure is required")
			}
			return writeTrace(cmd, f, out)
		},
	}
	cmd.Flags().StringVar(&f.azure, "azure", "", azureUsage)
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed for placing invocations within minutes")
	cmd.Flags().StringVar(&f.minutes, "minutes", "", minutesUsage)
	cmd.Flags().StringVar(&out, "out", "", "output CSV file (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newTraceGenerateCmd() *cobra.Command {
	f := &traceFlags{}
	var out string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a synthetic CSV trace (Zipf popularity, drift, bursts, diurnal rate)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.synthetic = true
			return writeTrace(cmd, f, out)
		},
	}
	f.register(cmd.Flags())
	for _, name := range []string{"trace", "azure", "synthetic", "minutes", "site"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	cmd.Flags().StringVar(&out, "out", "", "output CSV file (required)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func writeTrace(cmd *cobra.Command, f *traceFlags, out string) (err error) {
	start := time.Now()
	tr, err := f.load()
	if err != nil {
		return err
	}
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(file, 1<<20)
	if err := trace.WriteCSV(bw, tr); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d requests over %d models, %v long, written in %v\n",
		out, len(tr.Requests), len(tr.Models), tr.Duration().Round(time.Second), time.Since(start).Round(time.Millisecond))
	return nil
}
