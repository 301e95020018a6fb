package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// version is set at link time by release builds (-ldflags -X main.version=...).
var version = "dev"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the CLI version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "edgeserve", version)
			return err
		},
	}
}
