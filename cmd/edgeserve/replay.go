package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgeserve/edgeserve/internal/replay"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// replayFlags are the replay command's flags.
type replayFlags struct {
	tlsFlags
	cfg         replay.Config
	csvFile     string
	azure       string
	seed        uint64
	mapping     string
	mappingSeed uint64
	models      []string
	nodes       []string
	start       float64
	minutes     float64
	maxRequests int
	timeout     time.Duration
	json        bool
}

func newReplayCmd() *cobra.Command {
	f := &replayFlags{cfg: replay.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "replay --node SITE=ADDR ... (--trace F.csv | --azure DIR)",
		Short: "Replay a request trace against a live cluster and report what its clients saw",
		Long: `Replay a request trace (the simulator's CSV, time_ms,model[,site], or the
Azure Functions sample) against running nodes, as clients at the trace's
sites would: each request at its time (--speed scales it; 0 sends as fast
as --concurrency allows), to a node of its site (--node SITE=ADDR, repeated;
requests of a site without a node go to every given node in turn), retried
at another node when one fails (--retries). Only the given addresses are
ever contacted.

Trace models become served models as the simulator maps them (--mapping):
name (the trace's models are served models), shared (each trace model is
dealt one of --models, default every model the cluster serves, with
--mapping-seed), or auto (name when every trace model is served, else
shared). Inputs follow each model's signature from the node's metadata,
filled with data seeded by --seed.

The report: success rate (and at the first try), latency p50/p95/p99, the
routes the cluster took (hit, load, forward-hit, forward-load, fallback, hedge),
which nodes ran the requests, per given node what it was sent; --json for
the same as JSON (durations in ms).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReplay(cmd, f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.csvFile, "trace", "", "CSV trace file (time_ms,model[,site])")
	fs.StringVar(&f.azure, "azure", "", azureUsage)
	fs.Uint64Var(&f.seed, "seed", 1, "seed for placing Azure invocations within minutes and for the input data")
	fs.StringVar(&f.mapping, "mapping", replay.MapAuto, "how trace models become served models: name, shared or auto")
	fs.Uint64Var(&f.mappingSeed, "mapping-seed", 1, "seed of the shared mapping (the simulator's)")
	fs.StringSliceVar(&f.models, "models", nil, "served models the shared mapping deals (default: every model the cluster serves)")
	fs.StringArrayVar(&f.nodes, "node", nil, "SITE=ADDR (or ADDR): a node's gRPC address and its site; repeat for each node (required)")
	fs.Float64Var(&f.cfg.Speed, "speed", f.cfg.Speed, "trace time per real time (2: twice as fast; 0: as fast as --concurrency allows)")
	fs.Float64Var(&f.start, "start", 0, "start of the window, minutes from the trace's start")
	fs.Float64Var(&f.minutes, "minutes", 0, "length of the window in minutes (0: to the end of the trace)")
	fs.IntVar(&f.maxRequests, "max-requests", 0, "send at most this many requests, the window's first (0: all)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "bound on the whole replay: then nothing more is sent and requests in flight are abandoned")
	fs.IntVar(&f.cfg.Concurrency, "concurrency", f.cfg.Concurrency, "requests in flight at most")
	fs.IntVar(&f.cfg.Retries, "retries", f.cfg.Retries, "other nodes a failed request is sent to before it counts as failed")
	fs.DurationVar(&f.cfg.RequestTimeout, "request-timeout", f.cfg.RequestTimeout, "bound on one attempt of one request")
	fs.Int64Var(&f.cfg.Batch, "batch", f.cfg.Batch, "size of the inputs' dynamic dimensions")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON (no progress bar)")
	f.tlsFlags.register(fs)
	return cmd
}

func runReplay(cmd *cobra.Command, f *replayFlags) error {
	nodes, err := f.parseNodes()
	if err != nil {
		return err
	}
	tr, err := f.window()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, fmt.Errorf("--timeout %v reached", f.timeout))
	defer cancel()
	f.cfg.Nodes, f.cfg.Seed = nodes, f.seed
	f.cfg.Client.CAFile, f.cfg.Client.CertFile, f.cfg.Client.KeyFile = f.caFile, f.certFile, f.keyFile
	barTo := cmd.ErrOrStderr() // drawn only on a terminal
	if f.json {
		barTo = io.Discard
	}
	bar := newProgressBar(barTo, int64(len(tr.Requests)), "replaying")
	s, err := replay.Open(f.cfg, replay.Deps{Progress: func(n int) { _ = bar.Add(n) }})
	if err != nil {
		return err
	}
	defer s.Close()
	reqs, err := f.plan(ctx, s, tr)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "replaying %d requests over %d models, %v of trace at speed %g, to %d nodes\n",
		len(reqs), len(replay.Models(reqs)), tr.Duration().Round(time.Millisecond), f.cfg.Speed, len(nodes))
	rep, err := s.Run(ctx, reqs)
	_ = bar.Finish()
	if err != nil {
		return err
	}
	if f.json {
		return rep.WriteJSON(cmd.OutOrStdout())
	}
	return rep.WriteText(cmd.OutOrStdout())
}

func (f *replayFlags) parseNodes() ([]replay.Node, error) {
	if len(f.nodes) == 0 {
		return nil, errors.New("give at least one --node SITE=ADDR")
	}
	out := make([]replay.Node, len(f.nodes))
	for i, s := range f.nodes {
		n, err := replay.ParseNode(s)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// window loads the trace and keeps the requests the flags ask for. Of the
// Azure sample only the minutes up to the window's end are read.
func (f *replayFlags) window() (*trace.Trace, error) {
	if (f.csvFile == "") == (f.azure == "") {
		return nil, errors.New("give exactly one of --trace and --azure")
	}
	if f.start < 0 || f.minutes < 0 || math.IsNaN(f.start+f.minutes) || math.IsInf(f.start+f.minutes, 0) {
		return nil, fmt.Errorf("--start %v and --minutes %v: want finite numbers >= 0", f.start, f.minutes)
	}
	if f.maxRequests < 0 {
		return nil, fmt.Errorf("--max-requests %d: want 0 (all) or more", f.maxRequests)
	}
	tf := traceFlags{csvFile: f.csvFile, azure: f.azure, seed: f.seed}
	if f.azure != "" && f.minutes > 0 {
		tf.minutes = strconv.Itoa(int(math.Ceil(f.start + f.minutes)))
	}
	tr, err := tf.load()
	if err != nil {
		return nil, err
	}
	w, err := replay.Window(tr, minutesDuration(f.start), minutesDuration(f.minutes), f.maxRequests)
	if err == nil && len(w.Requests) == 0 {
		err = fmt.Errorf("no requests in the window (the trace is %v long)", tr.Duration().Round(time.Millisecond))
	}
	return w, err
}

func minutesDuration(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

// plan maps the trace's models onto served models and names each
// request's model and site.
func (f *replayFlags) plan(ctx context.Context, s *replay.Session, tr *trace.Trace) ([]replay.Request, error) {
	served := f.models
	switch {
	case f.mapping == replay.MapName:
		served = tr.Models
	case len(served) == 0:
		var err error
		if served, err = s.Models(ctx); err != nil {
			return nil, err
		}
		if len(served) == 0 {
			return nil, errors.New("the cluster serves no models: push some first")
		}
	}
	w, err := replay.Map(tr, served, f.mapping, f.mappingSeed)
	if err != nil {
		return nil, err
	}
	return replay.Plan(w, tr.Sites)
}
