package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/edgeserve/edgeserve/client"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// remote holds the flags every command that talks to nodes shares.
type remote struct {
	tlsFlags
	addrs    string
	token    string
	insecure bool
	timeout  time.Duration
}

// tlsFlags say how to reach nodes over TLS.
type tlsFlags struct {
	caFile   string
	certFile string
	keyFile  string
}

func (t *tlsFlags) register(f *pflag.FlagSet) {
	f.StringVar(&t.caFile, "tls-ca", "", "CA certificate (PEM) to reach nodes over TLS")
	f.StringVar(&t.certFile, "tls-cert", "", "client certificate (PEM) for nodes that require mutual TLS (with --tls-key and --tls-ca)")
	f.StringVar(&t.keyFile, "tls-key", "", "client key (PEM) for --tls-cert")
}

func (r *remote) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.addrs, "addr", "127.0.0.1:8001", "node gRPC address(es), comma-separated; tried in turn")
	f.StringVar(&r.token, "admin-token", "", "admin bearer token (default $EDGESERVE_ADMIN_TOKEN)")
	r.tlsFlags.register(f)
	f.BoolVar(&r.insecure, "insecure-admin", false, "send the admin token without TLS to nodes that are not on loopback (trusted networks only)")
	// The names of earlier releases keep working, unlisted.
	f.StringVar(&r.token, "token", "", "same as --admin-token")
	f.BoolVar(&r.insecure, "insecure", false, "same as --insecure-admin")
	f.MarkHidden("token")    //nolint:errcheck // the flag exists
	f.MarkHidden("insecure") //nolint:errcheck // the flag exists
	f.DurationVar(&r.timeout, "timeout", 5*time.Minute, "bound on the whole command")
}

// dial makes a client of the flags. Only admin commands carry the token:
// inference calls need none.
func (r *remote) dial(admin bool) (*client.Client, error) {
	cfg := client.DefaultConfig()
	cfg.Addrs = strings.Split(r.addrs, ",")
	cfg.CAFile, cfg.CertFile, cfg.KeyFile, cfg.Insecure = r.caFile, r.certFile, r.keyFile, r.insecure
	if admin {
		cfg.AdminToken = r.token
		if cfg.AdminToken == "" {
			cfg.AdminToken = os.Getenv("EDGESERVE_ADMIN_TOKEN")
		}
	}
	c, err := client.Dial(cfg)
	if errors.Is(err, client.ErrPlaintextToken) {
		return nil, fmt.Errorf("%w: use --tls-ca, or --insecure-admin on a trusted network", err)
	}
	return c, err
}

// run dials, runs call with the command's deadline and closes.
func (r *remote) run(cmd *cobra.Command, admin bool, call func(context.Context, *client.Client) error) error {
	c, err := r.dial(admin)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), r.timeout)
	defer cancel()
	return call(ctx, c)
}

// addRemoteModelCmds adds the commands that manage models on running nodes
// to the models command group. When the group already has an "ls" (the
// local data-dir listing), that command gains the remote flags and lists a
// node's models when --addr is given.
func addRemoteModelCmds(models *cobra.Command) {
	models.AddCommand(newPushCmd(), newRemoveCmd(),
		newLoadUnloadCmd("load", "Load a model on a node and keep it loaded"),
		newLoadUnloadCmd("unload", "Unload a model from a node"))
	remoteLs := newListCmd()
	for _, c := range models.Commands() {
		if c.Name() == remoteLs.Name() {
			joinListCmds(c, remoteLs)
			return
		}
	}
	models.AddCommand(remoteLs)
}

// joinListCmds makes local run remote's listing when --addr is set. The
// flags are shared, so parsing local's sets remote's variables.
func joinListCmds(local, remote *cobra.Command) {
	local.Flags().AddFlagSet(remote.Flags())
	localRun := local.RunE
	local.Short += " (or, with --addr, on running nodes)"
	local.RunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Flags().Changed("addr") {
			return remote.RunE(cmd, args)
		}
		return localRun(cmd, args)
	}
}

func newPushCmd() *cobra.Command {
	var r remote
	var m client.Model
	cmd := &cobra.Command{
		Use:   "push NAME FILE.onnx",
		Short: "Upload a model to a node (resumes an interrupted upload)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m.Name = args[0]
			return r.run(cmd, true, func(ctx context.Context, c *client.Client) error {
				info, err := pushFile(ctx, c, m, args[1], cmd.ErrOrStderr())
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "pushed %s version %s (%d bytes, sha256 %s)\n", info.GetName(), info.GetVersion(), info.GetSizeBytes(), info.GetSha256())
					if on := info.GetStoredOn(); len(on) > 0 {
						fmt.Fprintf(cmd.OutOrStdout(), "stored on %s\n", strings.Join(on, ", "))
					}
				}
				return err
			})
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&m.Version, "version", "", "version number (default: the next one)")
	cmd.Flags().StringVar(&m.Task, "task", "", "task the model performs, e.g. image-classification")
	cmd.Flags().Float64Var(&m.Accuracy, "accuracy", 0, "accuracy at its task as a fraction in [0, 1]; requests that name the task weigh it")
	cmd.Flags().StringToStringVar(&m.Labels, "label", nil, "labels, key=value")
	return cmd
}

// pushFile pushes path with a progress bar on progress (when a terminal).
func pushFile(ctx context.Context, c *client.Client, m client.Model, path string, progress io.Writer) (*adminpb.ModelInfo, error) {
	var bar *progressbar.ProgressBar
	defer func() {
		if bar != nil {
			bar.Finish() //nolint:errcheck // display only
		}
	}()
	return c.PushFile(ctx, m, path, func(sent, total int64) {
		if bar == nil {
			bar = newBar(total, "push "+m.Name, progress)
		}
		bar.Set64(sent) //nolint:errcheck // display only
	})
}

// newBar is a byte progress bar on w, silent unless w is a terminal.
func newBar(size int64, desc string, w io.Writer) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	visible := ok && term.IsTerminal(int(f.Fd()))
	return progressbar.NewOptions64(size, progressbar.OptionSetDescription(desc), progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true), progressbar.OptionSetVisibility(visible), progressbar.OptionClearOnFinish())
}

func newRemoveCmd() *cobra.Command {
	var r remote
	var version string
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a model (one version, or all) from a node",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.run(cmd, true, func(ctx context.Context, c *client.Client) error {
				if err := c.Remove(ctx, args[0], version); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), removed(args[0], version))
				return nil
			})
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&version, "version", "", "version to remove (default: every version)")
	return cmd
}

// removed says what rm removed.
func removed(name, version string) string {
	if version == "" {
		return "removed " + name + " (every version)"
	}
	return "removed " + name + " version " + version
}

func newListCmd() *cobra.Command {
	var r remote
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the models on a node and whether they are loaded",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return r.run(cmd, true, func(ctx context.Context, c *client.Client) error {
				models, err := c.List(ctx)
				if err != nil {
					return err
				}
				return printModels(cmd.OutOrStdout(), models)
			})
		},
	}
	r.register(cmd)
	return cmd
}

func printModels(w io.Writer, models []*adminpb.ModelInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSIZE\tTASK\tACCURACY\tLOADED\tSTORED\tSHA256")
	for _, m := range models {
		stored := "here"
		if m.GetStoredAt() != "" {
			stored = "at " + m.GetStoredAt()
		}
		acc := "-"
		if m.GetAccuracy() > 0 {
			acc = fmt.Sprintf("%.3f", m.GetAccuracy())
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%v\t%s\t%.12s\n", m.GetName(), m.GetVersion(), m.GetSizeBytes(), dash(m.GetTask()), acc,
			m.GetLoaded(), stored, m.GetSha256())
	}
	return tw.Flush()
}

// newLoadUnloadCmd builds "load" or "unload".
func newLoadUnloadCmd(verb, short string) *cobra.Command {
	var r remote
	var version string
	cmd := &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.run(cmd, true, func(ctx context.Context, c *client.Client) error {
				if verb == "unload" {
					return c.Unload(ctx, args[0], version)
				}
				took, err := c.Load(ctx, args[0], version)
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "loaded %s in %v\n", args[0], took)
				}
				return err
			})
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&version, "version", "", "model version (default: latest for load, every version for unload)")
	return cmd
}
