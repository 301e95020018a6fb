// Command edgeserve is the EdgeServe CLI: generate the model zoo, benchmark
// the runtime, manage models, send inference requests, simulate cache
// policies on traces, replay traces against a live cluster.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "edgeserve:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "edgeserve",
		Short:         "EdgeServe: deep-learning model caching at the edge",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Each subcommand lives in its own file and is registered here.
	root.AddCommand(
		newVersionCmd(),
		newBenchCmd(),
		newZooCmd(),
		newModelsCmd(),
		newSimCmd(),
		newTraceCmd(),
		newInferCmd(),
		newClusterCmd(),
		newReplayCmd(),
	)
	return root
}
