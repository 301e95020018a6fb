package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/spf13/cobra"
)

// inferOpts are the infer command's flags.
type inferOpts struct {
	remote
	version string
	input   string
	random  bool
	batch   int64
	seed    uint64
	json    bool
	// minAccuracy and budget qualify a request for task:NAME.
	minAccuracy float64
	budget      time.Duration
}

func newInferCmd() *cobra.Command {
	var o inferOpts
	cmd := &cobra.Command{
		Use:   "infer MODEL|task:TASK",
		Short: "Send an inference request to a node (Open Inference Protocol over gRPC)",
		Long: "Send one inference request. Inputs come from a KServe v2 JSON request file (--input)\n" +
			"or are random values of the model's signature (--random, dynamic dimensions = --batch).\n" +
			"Naming task:TASK lets the node choose among the task's models: the most accurate one\n" +
			"predicted to answer within --budget (where it is loaded, here or on a peer, counts).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.input == "") == !o.random {
				return fmt.Errorf("give exactly one of --input FILE.json and --random")
			}
			// Inference needs no admin token: none is sent.
			return o.remote.run(cmd, false, func(ctx context.Context, c *client.Client) error {
				return o.infer(ctx, c, args[0], cmd.OutOrStdout())
			})
		},
	}
	o.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.version, "version", "", "model version (default: latest)")
	f.StringVar(&o.input, "input", "", "KServe v2 JSON inference request file")
	f.BoolVar(&o.random, "random", false, "random inputs of the model's signature")
	f.Int64Var(&o.batch, "batch", 1, "size of dynamic dimensions with --random")
	f.Uint64Var(&o.seed, "seed", 1, "seed of --random")
	f.BoolVar(&o.json, "json", false, "print the KServe v2 JSON response")
	f.Float64Var(&o.minAccuracy, "min-accuracy", 0, "with task:TASK, the least accuracy acceptable (a fraction in [0, 1])")
	f.DurationVar(&o.budget, "budget", 0, "with task:TASK, the latency budget (e.g. 50ms; 0: none)")
	return cmd
}

func (o *inferOpts) infer(ctx context.Context, c *client.Client, model string, w io.Writer) error {
	inputs, err := o.inputs(ctx, c, model)
	if err != nil {
		return err
	}
	start := time.Now()
	req := client.InferRequest{Model: model, Version: o.version, Inputs: inputs}
	if o.minAccuracy != 0 || o.budget != 0 {
		if !strings.HasPrefix(model, "task:") {
			return fmt.Errorf("--min-accuracy and --budget qualify a request for task:TASK, not for model %s", model)
		}
		req.Parameters = map[string]any{"min_accuracy": o.minAccuracy, "latency_budget_ms": float64(o.budget) / float64(time.Millisecond)}
	}
	resp, err := c.Infer(ctx, req)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if o.json {
		return printJSON(w, resp)
	}
	return printHuman(w, resp, took)
}

// inputs reads the input file or makes random inputs of the model's
// signature.
func (o *inferOpts) inputs(ctx context.Context, c *client.Client, model string) ([]runtime.Tensor, error) {
	if o.input != "" {
		f, err := os.Open(o.input)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		_, inputs, err := codec.DecodeJSONRequest(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.input, err)
		}
		return inputs, nil
	}
	md, err := c.Metadata(ctx, model, o.version)
	if err != nil {
		return nil, err
	}
	return client.SeededInputs(md.GetInputs(), o.batch, o.seed)
}

func printJSON(w io.Writer, resp *client.InferResponse) error {
	js := codec.JSONResponse{ModelName: resp.Model, ModelVersion: resp.Version, ID: resp.ID, Parameters: resp.Parameters}
	for _, t := range resp.Outputs {
		jt, err := codec.EncodeJSONTensor(t)
		if err != nil {
			return err
		}
		js.Outputs = append(js.Outputs, jt)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(js)
}

// printHuman shows each output's type, shape and first values.
func printHuman(w io.Writer, resp *client.InferResponse, took time.Duration) error {
	fmt.Fprintf(w, "model %s version %s: %d outputs in %v\n", resp.Model, resp.Version, len(resp.Outputs), took.Round(time.Microsecond))
	if s := servedLine(resp.Parameters); s != "" {
		fmt.Fprintln(w, "  "+s)
	}
	for _, t := range resp.Outputs {
		vals, err := codec.RawToValues(t)
		if err != nil {
			return err
		}
		more := ""
		if len(vals) > 10 {
			vals, more = vals[:10], " ..."
		}
		fmt.Fprintf(w, "  %s %s %v: %v%s\n", t.Name, codec.DataTypeName(t.Type), t.Shape, vals, more)
	}
	return nil
}

// servedLine says how the node served a request, from the response's
// parameters: the route, the node that ran it and, for a task, the model
// chosen and whether the budget was met.
func servedLine(p map[string]any) string {
	var parts []string
	if r, ok := p["edgeserve_route"].(string); ok {
		parts = append(parts, "route "+r)
	}
	if n, ok := p["edgeserve_served_by"].(string); ok && n != "" {
		parts = append(parts, "served by "+n)
	}
	if v, ok := p["edgeserve_variant"].(string); ok {
		s := "task " + fmt.Sprint(p["edgeserve_task"]) + " chose " + v
		if ms, ok := p["edgeserve_predicted_ms"].(float64); ok {
			s += fmt.Sprintf(" (predicted %.1f ms)", ms)
		}
		parts = append(parts, s)
	}
	if missed, _ := p["edgeserve_budget_missed"].(bool); missed {
		parts = append(parts, "budget missed: no model could meet it")
	}
	return strings.Join(parts, "; ")
}
