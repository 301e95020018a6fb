package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgeserve/edgeserve/node"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// pushChunkBytes is the size of one push message, well under a node's
// default 64 MiB request limit.
const pushChunkBytes = 1 << 20

// remote holds the flags every command that talks to nodes shares.
type remote struct {
	addrs    string
	token    string
	caFile   string
	insecure bool
	timeout  time.Duration
}

func (r *remote) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.addrs, "addr", "127.0.0.1:8001", "node gRPC address(es), comma-separated; tried in turn")
	f.StringVar(&r.token, "token", "", "admin bearer token (default $EDGESERVE_ADMIN_TOKEN)")
	f.StringVar(&r.caFile, "tls-ca", "", "CA certificate (PEM) to reach nodes over TLS")
	f.BoolVar(&r.insecure, "insecure", false, "send the admin token without TLS to nodes that are not on loopback")
	f.DurationVar(&r.timeout, "timeout", 5*time.Minute, "bound on the whole command")
}

// each runs call against each address in turn until one answers. Only a
// node that cannot be reached (Unavailable) moves on to the next address;
// any other error is the answer.
func (r *remote) each(ctx context.Context, call func(context.Context, *grpc.ClientConn) error) error {
	creds, err := r.credentials()
	if err != nil {
		return err
	}
	token := r.token
	if token == "" {
		token = os.Getenv("EDGESERVE_ADMIN_TOKEN")
	}
	addrs := strings.Split(r.addrs, ",")
	if token != "" {
		if err := r.tokenSafe(addrs); err != nil {
			return err
		}
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	var errs []error
	for _, addr := range addrs {
		conn, err := grpc.NewClient(strings.TrimSpace(addr), grpc.WithTransportCredentials(creds),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30)))
		if err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		err = call(ctx, conn)
		conn.Close()
		if status.Code(err) != codes.Unavailable {
			return describe(addr, err)
		}
		errs = append(errs, describe(addr, err))
	}
	return errors.Join(errs...)
}

// tokenSafe refuses to send a bearer token in plaintext beyond loopback,
// where anyone on the path could read it, unless --insecure says so.
func (r *remote) tokenSafe(addrs []string) error {
	if r.caFile != "" || r.insecure {
		return nil
	}
	for _, addr := range addrs {
		if !node.IsLoopback(strings.TrimSpace(addr)) {
			return fmt.Errorf("refusing to send the admin token in plaintext to %s: use --tls-ca, or --insecure on a trusted network", addr)
		}
	}
	return nil
}

// describe prefixes a node's error with its address and drops gRPC's
// "rpc error: code = ..." noise in favour of the code's name.
func describe(addr string, err error) error {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s: %s", addr, s.Code(), s.Message())
	}
	return fmt.Errorf("%s: %w", addr, err)
}

func (r *remote) credentials() (credentials.TransportCredentials, error) {
	if r.caFile == "" {
		return insecure.NewCredentials(), nil
	}
	pem, err := os.ReadFile(r.caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificates", r.caFile)
	}
	return credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), nil
}

func (r *remote) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), r.timeout)
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
	var version, task string
	var labels map[string]string
	cmd := &cobra.Command{
		Use:   "push NAME FILE.onnx",
		Short: "Upload a model to a node (resumes an interrupted upload)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := r.context(cmd)
			defer cancel()
			hdr := &adminpb.PushHeader{Name: args[0], Version: version, Task: task, Labels: labels}
			return r.each(ctx, func(ctx context.Context, conn *grpc.ClientConn) error {
				info, err := pushFile(ctx, adminpb.NewAdminServiceClient(conn), hdr, args[1], cmd.ErrOrStderr())
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "pushed %s version %s (%d bytes, sha256 %s)\n", info.GetName(), info.GetVersion(), info.GetSizeBytes(), info.GetSha256())
				}
				return err
			})
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&version, "version", "", "version number (default: the next one)")
	cmd.Flags().StringVar(&task, "task", "", "task the model performs, e.g. image-classification")
	cmd.Flags().StringToStringVar(&labels, "label", nil, "labels, key=value")
	return cmd
}

// pushFile uploads path, starting where the node's copy of an interrupted
// upload of the same bytes ends.
func pushFile(ctx context.Context, c adminpb.AdminServiceClient, hdr *adminpb.PushHeader, path string, progress io.Writer) (*adminpb.ModelInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	hdr.SizeBytes, hdr.Sha256 = size, hex.EncodeToString(h.Sum(nil))
	off, err := c.PushOffset(ctx, &adminpb.PushOffsetRequest{Sha256: hdr.Sha256})
	if err != nil {
		return nil, err
	}
	hdr.Offset = off.GetReceivedBytes()
	if _, err := f.Seek(hdr.Offset, io.SeekStart); err != nil {
		return nil, err
	}
	bar := newBar(size, "push "+hdr.Name, progress)
	bar.Set64(hdr.Offset) //nolint:errcheck // display only
	defer bar.Finish()    //nolint:errcheck // display only
	return sendPush(ctx, c, hdr, io.TeeReader(f, bar))
}

func sendPush(ctx context.Context, c adminpb.AdminServiceClient, hdr *adminpb.PushHeader, r io.Reader) (*adminpb.ModelInfo, error) {
	stream, err := c.PushModel(ctx)
	if err != nil {
		return nil, err
	}
	// A failed Send means the node ended the stream; CloseAndRecv says why.
	if stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Header{Header: hdr}}) == nil {
		buf := make([]byte, pushChunkBytes)
		for {
			n, rerr := io.ReadFull(r, buf)
			if n > 0 && stream.Send(&adminpb.PushModelRequest{Part: &adminpb.PushModelRequest_Chunk{Chunk: buf[:n]}}) != nil {
				break
			}
			if rerr != nil {
				if !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
					return nil, rerr
				}
				break
			}
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetModel(), err
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
			ctx, cancel := r.context(cmd)
			defer cancel()
			return r.each(ctx, func(ctx context.Context, conn *grpc.ClientConn) error {
				_, err := adminpb.NewAdminServiceClient(conn).DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: args[0], Version: version})
				return err
			})
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&version, "version", "", "version to remove (default: every version)")
	return cmd
}

func newListCmd() *cobra.Command {
	var r remote
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the models on a node and whether they are loaded",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := r.context(cmd)
			defer cancel()
			return r.each(ctx, func(ctx context.Context, conn *grpc.ClientConn) error {
				resp, err := adminpb.NewAdminServiceClient(conn).ListModels(ctx, &adminpb.ListModelsRequest{})
				if err != nil {
					return err
				}
				return printModels(cmd.OutOrStdout(), resp.GetModels())
			})
		},
	}
	r.register(cmd)
	return cmd
}

func printModels(w io.Writer, models []*adminpb.ModelInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSIZE\tLOADED\tSHA256")
	for _, m := range models {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%v\t%.12s\n", m.GetName(), m.GetVersion(), m.GetSizeBytes(), m.GetLoaded(), m.GetSha256())
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
			ctx, cancel := r.context(cmd)
			defer cancel()
			return r.each(ctx, func(ctx context.Context, conn *grpc.ClientConn) error {
				c := adminpb.NewAdminServiceClient(conn)
				if verb == "unload" {
					_, err := c.UnloadModel(ctx, &adminpb.UnloadModelRequest{Name: args[0], Version: version})
					return err
				}
				resp, err := c.LoadModel(ctx, &adminpb.LoadModelRequest{Name: args[0], Version: version})
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "loaded %s in %v\n", args[0], time.Duration(resp.GetLoadTimeUs())*time.Microsecond)
				}
				return err
			})
		},
	}
	r.register(cmd)
	cmd.Flags().StringVar(&version, "version", "", "model version (default: latest for load, every version for unload)")
	return cmd
}
