package node

import (
	"context"
	"fmt"
	"github.com/edgeserve/edgeserve/placement/policy"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/placement/route"
	"github.com/edgeserve/edgeserve/placement/variant"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/store"
)

// A request may name a task instead of a model: the model name "task:NAME"
// (any Open Inference Protocol client can send it), or the request
// parameter "task". The node then chooses which of the task's models
// serves it (placement/variant), by accuracy and predicted latency, with
// the optional parameters "min_accuracy" (a fraction in [0, 1]) and
// "latency_budget_ms". A request that names a model and no task is served
// by that model, whatever other parameters it carries.
const (
	taskPrefix     = "task:"
	paramTask      = "task"
	paramMinAcc    = "min_accuracy"
	paramBudget    = "latency_budget_ms"
	maxBudget      = time.Hour
	budgetMet      = "met"
	budgetMissed   = "missed"
	budgetNone     = "none"
	paramVariant   = "edgeserve_variant"
	paramTaskOut   = "edgeserve_task"
	paramMissed    = "edgeserve_budget_missed"
	paramPredicted = "edgeserve_predicted_ms"
)

// taskRequest is what a request asked of the choice among a task's models.
type taskRequest struct {
	Task string
	variant.Request
}

// taskParam reads one request parameter, whatever its wire type: ok is
// false when it is absent; a value that is neither a string nor a number
// is an error.
type taskParam func(key string) (value string, ok bool, err error)

// parseTask reads a task request from the model name, version and
// parameters; isTask is false for a request that names a model.
func parseTask(model, version string, param taskParam) (tr taskRequest, isTask bool, err error) {
	named, err := paramString(param, paramTask)
	if err != nil {
		return tr, false, err
	}
	switch {
	case strings.HasPrefix(model, taskPrefix):
		tr.Task = strings.TrimPrefix(model, taskPrefix)
		if named != "" && named != tr.Task {
			return tr, false, fmt.Errorf("%w: model %q and parameter task %q name different tasks", ErrBadRequest, model, named)
		}
	case named != "":
		tr.Task = named
	default:
		return tr, false, nil
	}
	if err := store.ValidateName(tr.Task); err != nil {
		return tr, false, fmt.Errorf("%w: task: %v", ErrBadRequest, err)
	}
	if version != "" {
		return tr, false, fmt.Errorf("%w: a request for task %q names no version (version %q given); the node chooses the model", ErrBadRequest, tr.Task, clip(version))
	}
	if tr.MinAccuracy, err = paramFloat(param, paramMinAcc); err != nil {
		return tr, false, err
	}
	if !(tr.MinAccuracy >= 0 && tr.MinAccuracy <= 1) {
		return tr, false, fmt.Errorf("%w: %s %v must be a fraction in [0, 1]", ErrBadRequest, paramMinAcc, tr.MinAccuracy)
	}
	ms, err := paramFloat(param, paramBudget)
	if err != nil {
		return tr, false, err
	}
	if !(ms >= 0 && ms <= float64(maxBudget/time.Millisecond)) {
		return tr, false, fmt.Errorf("%w: %s %v must be between 0 and %d", ErrBadRequest, paramBudget, ms, maxBudget/time.Millisecond)
	}
	tr.Budget = time.Duration(ms * float64(time.Millisecond))
	return tr, true, nil
}

func paramString(param taskParam, key string) (string, error) {
	v, ok, err := param(key)
	if err != nil || !ok {
		return "", err
	}
	return v, nil
}

func paramFloat(param taskParam, key string) (float64, error) {
	v, ok, err := param(key)
	if err != nil || !ok {
		return 0, err
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: parameter %s %q is not a number", ErrBadRequest, key, clip(v))
	}
	return f, nil
}

// taskChoice is the model chosen for a task request, for the reply.
type taskChoice struct {
	Task string
	variant.Choice
	budget string // budgetMet, budgetMissed or budgetNone
}

// chooseVariant picks the model that serves a task request: among the
// latest version of each catalog model of the task (stored here or
// elsewhere in the cluster) whose input signature accepts the inputs, the
// one variant.Choose picks, each predicted where it would run.
func (n *Node) chooseVariant(ctx context.Context, tr taskRequest, inputs []runtime.Tensor) (taskChoice, error) {
	if n.draining.Load() {
		return taskChoice{}, ErrDraining
	}
	recs, err := n.taskRecords(ctx, tr.Task)
	if err != nil {
		return taskChoice{}, err
	}
	if len(recs) == 0 {
		return taskChoice{}, fmt.Errorf("%w: no model in the catalog has task %q", variant.ErrNoVariant, tr.Task)
	}
	var members []gossip.Member
	if n.cluster != nil && !n.cfg.Cluster.LocalOnly {
		members = n.cluster.g.Members()
	}
	var cands []variant.Candidate
	var misfit error
	for _, rec := range recs {
		if _, _, err := n.bindInputs(ctx, rec, inputs); err != nil {
			misfit = err
			continue
		}
		o, ok := n.predict(ctx, rec, members)
		if !ok {
			continue // too large to load here, and no peer can run it
		}
		cands = append(cands, variant.Candidate{Name: rec.Name, Version: versionString(rec), Accuracy: rec.Accuracy,
			Latency: o.Cost, Where: o.Kind, Node: o.Node})
	}
	if len(cands) == 0 && misfit != nil {
		return taskChoice{}, fmt.Errorf("%w: no model of task %q accepts these inputs: %v", ErrBadRequest, tr.Task, misfit)
	}
	n.setSubstitutes(recs, cands, tr.Budget)
	c, err := variant.Choose(cands, tr.Request)
	if err != nil {
		return taskChoice{}, fmt.Errorf("task %q: %w", tr.Task, err)
	}
	tc := taskChoice{Task: tr.Task, Choice: c, budget: budgetNone}
	switch {
	case tr.Budget <= 0:
	case c.BudgetMissed:
		tc.budget = budgetMissed
	default:
		tc.budget = budgetMet
	}
	n.metrics.chose(tr.Task, c.Name, tc.budget)
	return tc, nil
}

// taskRecords lists the latest version of each model of task, from the
// store and the cluster's catalog.
func (n *Node) taskRecords(ctx context.Context, task string) ([]store.Record, error) {
	local, err := n.records(ctx, "")
	if err != nil {
		return nil, err
	}
	latest := map[string]store.Record{}
	keep := func(r store.Record) {
		if r.Task != task {
			return
		}
		if old, ok := latest[r.Name]; !ok || r.Version > old.Version {
			latest[r.Name] = r
		}
	}
	for _, r := range local {
		keep(r)
	}
	for _, c := range n.remoteRecords("", "", local) {
		keep(fromCatalog(c))
	}
	out := make([]store.Record, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	return out, nil
}

// predict is where a request for rec would run and its predicted latency:
// its warm run when loaded here, otherwise the router's cheapest option
// (a load here, or a forward with a cluster). ok is false when rec can
// run nowhere: too large for this node's memory, and no peer can run it.
func (n *Node) predict(ctx context.Context, rec store.Record, members []gossip.Member) (o route.Option, ok bool) {
	if n.cache.Resident(rec.Ref()) {
		return route.Option{Kind: route.Hit, Cost: n.runTime(rec)}, true
	}
	if members != nil {
		opts, _, _ := n.routeOptions(ctx, rec, members)
		if len(opts) == 0 {
			return o, false
		}
		return opts[0], true
	}
	if n.sizeHint(rec) > n.cfg.Cache.MemoryBudgetBytes {
		return o, false
	}
	facts, _ := n.cache.Facts(rec.Ref())
	return route.Option{Kind: route.Load, Cost: n.loadTime(rec, facts) + n.runTime(rec)}, true
}

// taskParameters are the reply's parameters of a task request.
func (c taskChoice) parameters() map[string]any {
	if c.Task == "" {
		return nil
	}
	return map[string]any{
		paramVariant:   c.Name + ":" + c.Version,
		paramTaskOut:   c.Task,
		paramMissed:    c.BudgetMissed,
		paramPredicted: float64(c.Latency) / float64(time.Millisecond),
	}
}

// taskMetadata is the metadata of "task:NAME": the signature of the task's
// most accurate model, which requests for the task may send (others of
// its models may take other inputs). It lists no versions.
func (n *Node) taskMetadata(ctx context.Context, name, version string) (modelMeta, error) {
	if n.draining.Load() {
		return modelMeta{}, ErrDraining
	}
	tr, _, err := parseTask(name, version, func(string) (string, bool, error) { return "", false, nil })
	if err != nil {
		return modelMeta{}, err
	}
	recs, err := n.taskRecords(ctx, tr.Task)
	if err != nil {
		return modelMeta{}, err
	}
	cands := make([]variant.Candidate, len(recs))
	for i, r := range recs {
		cands[i] = variant.Candidate{Name: r.Name, Version: versionString(r), Accuracy: r.Accuracy}
	}
	c, err := variant.Choose(cands, variant.Request{})
	if err != nil {
		return modelMeta{}, fmt.Errorf("task %q: %w", tr.Task, err)
	}
	for _, r := range recs {
		if r.Name == c.Name {
			md := modelMeta{Name: name, Platform: r.Platform, Versions: []string{}}
			if md.Platform == "" {
				md.Platform = "onnxruntime_onnx"
			}
			md.Signature, err = n.signature(ctx, r)
			return md, err
		}
	}
	return modelMeta{}, fmt.Errorf("task %q: %w", tr.Task, variant.ErrNoVariant)
}

// setSubstitutes tells the cache's policy, for each model of the task
// stored here, what serving its requests with the best equivalent loaded
// here would cost (policy.SubstituteCost: the extra run time and the
// accuracy given up), among the equivalents that meet the budget;
// policy.NoSubstitute when none does. A policy that values it
// (EdgeServe's) then keeps one of several loaded equivalents rather than
// all of them. It runs with every task request, so the costs follow the
// models as they load and leave.
func (n *Node) setSubstitutes(recs []store.Record, cands []variant.Candidate, budget time.Duration) {
	run := map[string]time.Duration{}
	for _, r := range recs {
		run[r.Name] = n.runTime(r)
	}
	for _, k := range cands {
		key := k.Name + ":" + k.Version
		cost := policy.NoSubstitute
		for _, s := range cands {
			if s.Name == k.Name || s.Where != route.Hit || (budget > 0 && s.Latency > budget) {
				continue
			}
			c := policy.SubstituteCost(policy.Equivalent{RunTime: run[k.Name], Accuracy: k.Accuracy},
				policy.Equivalent{RunTime: run[s.Name], Accuracy: s.Accuracy}, policy.DefaultAccuracyPointCost)
			if cost < 0 || c < cost {
				cost = c
			}
		}
		n.cache.SetSubstitute(key, cost)
	}
}
