package sim

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// tinyFamily: fast, mid and best, each twice as slow, large and costly to
// load as the one before, and more accurate.
func tinyFamily() []Variant {
	v := func(name string, run time.Duration, size int64, acc float64) Variant {
		return Variant{Model: profile.Model{Name: name, SizeBytes: size, LoadTime: 10 * run, RunTime: run}, Accuracy: acc}
	}
	return []Variant{v("fast", 10*ms, 1, 0.70), v("mid", 20*ms, 2, 0.80), v("best", 40*ms, 4, 0.90)}
}

// tinyTasks: one task, budget 30 ms (mid's run meets it, best's does not),
// requested at the given times.
func tinyTasks(times ...time.Duration) *TaskWorkload {
	w := &TaskWorkload{Tasks: []string{"app"}, Budgets: []time.Duration{30 * ms}, Family: tinyFamily()}
	for _, at := range times {
		w.Requests = append(w.Requests, trace.Request{Time: at})
	}
	return w
}

func runTasks(t *testing.T, w *TaskWorkload, con TaskContender, cfg TaskConfig) TaskResult {
	t.Helper()
	if con.Policy == "" && con.NewPolicy == nil {
		con.Policy = "lru"
	}
	if cfg.CapacityBytes == 0 {
		cfg.CapacityBytes = 100
	}
	r, err := RunTasks(w, con, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunTasksHandComputed replays requests at 0, 50 ms and 1 s; the
// comments give each one's candidates (fast, mid, best) and outcome.
func TestRunTasksHandComputed(t *testing.T) {
	w := tinyTasks(0, 50*ms, time.Second)
	type want struct {
		acc                    float64 // percent, summed over requests
		misses                 int
		delay, p50, p99        time.Duration
		loads, upgrades, fastN int
	}
	for _, tc := range []struct {
		con  TaskContender
		want want
	}{
		// 0: 110, 220, 440: none within 30 ms, so the fastest: fast loads
		// (110 ms, missed); mid is offered as an upgrade and loads (ready
		// at 200 ms). 50 ms: fast loading (60), mid loading (170): fast,
		// 60 ms, missed. 1 s: 10, 20, 440: mid, 20 ms.
		{TaskContender{Name: "task", Variant: ByTask, Upgrades: true}, want{70 + 70 + 80, 2, 150 * ms, 60 * ms, 110 * ms, 1, 1, 2}},
		// Without upgrades fast serves all three (the last a 10 ms hit).
		{TaskContender{Name: "task-no-upgrades", Variant: ByTask}, want{210, 2, 150 * ms, 60 * ms, 110 * ms, 1, 0, 3}},
		// Always best: 440, then 390 (loading), then 40: all late.
		{TaskContender{Name: "best", Variant: 2}, want{270, 3, 750 * ms, 390 * ms, 440 * ms, 1, 0, 0}},
		// Always fast: 110, 60, 10.
		{TaskContender{Name: "fast", Variant: 0}, want{210, 2, 150 * ms, 60 * ms, 110 * ms, 1, 0, 3}},
	} {
		t.Run(tc.con.Name, func(t *testing.T) {
			r := runTasks(t, w, tc.con, TaskConfig{})
			got := want{r.MeanAccuracy * 100 * 3, r.BudgetMisses, r.TotalLoadDelay, r.P50Latency, r.P99Latency, r.Loads, r.Upgrades, r.Served["fast"]}
			if int(got.acc+0.5) != int(tc.want.acc) {
				t.Errorf("accuracy sum %.2f, want %v", got.acc, tc.want.acc)
			}
			got.acc = tc.want.acc
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if r.Requests != 3 || r.BudgetMissShare != float64(tc.want.misses)/3 || math.Abs(r.AccuracyBound-0.80) > 1e-9 {
				t.Errorf("requests %d, miss share %v, accuracy bound %v", r.Requests, r.BudgetMissShare, r.AccuracyBound)
			}
		})
	}
}

// TestRunTasksLoadSlots: with one load slot, mid's upgrade waits for
// fast's load (ready at 300 ms, not 200 ms), so at 250 ms fast serves.
func TestRunTasksLoadSlots(t *testing.T) {
	w := tinyTasks(0, 250*ms, time.Second)
	con := TaskContender{Name: "task", Variant: ByTask, Upgrades: true}
	for _, tc := range []struct {
		slots int
		fast  int
	}{{0, 1}, {1, 2}} {
		r := runTasks(t, w, con, TaskConfig{LoadSlots: tc.slots})
		if r.Served["fast"] != tc.fast || r.Served["mid"] != 3-tc.fast {
			t.Errorf("%d slots: served %v, want fast %d times", tc.slots, r.Served, tc.fast)
		}
	}
}

// substituteRecorder is LRU that records the substitute costs it is told.
type substituteRecorder struct {
	policy.Policy
	costs map[policy.Key]time.Duration
}

func (s *substituteRecorder) SetSubstitute(k policy.Key, d time.Duration) { s.costs[k] = d }

// TestRunTasksSubstitutes: once fast and mid are loaded, each variant is
// told its cheapest loaded equivalent within the 30 ms budget: fast's is
// mid (10 ms slower, 10 points better: 10 ms), mid's is fast (10 points at
// 50 ms), best's is mid (10 points); before, none.
func TestRunTasksSubstitutes(t *testing.T) {
	rec := &substituteRecorder{costs: map[policy.Key]time.Duration{}}
	con := TaskContender{Name: "task", Variant: ByTask, Upgrades: true, Substitutes: true,
		NewPolicy: func(m []policy.Entry) (policy.Policy, error) {
			p, err := policy.New("lru", m)
			rec.Policy = p
			return rec, err
		}}
	runTasks(t, tinyTasks(0), con, TaskConfig{})
	for k := range 3 {
		if rec.costs[policy.Key(k)] != policy.NoSubstitute {
			t.Fatalf("nothing loaded yet, but costs %v", rec.costs)
		}
	}
	runTasks(t, tinyTasks(0, time.Second), con, TaskConfig{})
	want := map[policy.Key]time.Duration{0: 10 * ms, 1: 500 * ms, 2: 500 * ms}
	for k, d := range want {
		if rec.costs[k] != d {
			t.Fatalf("costs %v, want %v", rec.costs, want)
		}
	}
	// Best alone loaded (always best): its 40 ms run misses the budget,
	// so it stands in for nothing.
	clear(rec.costs)
	best := con
	best.Variant, best.Upgrades = 2, false
	runTasks(t, tinyTasks(0, time.Second), best, TaskConfig{})
	if rec.costs[0] != policy.NoSubstitute || rec.costs[1] != policy.NoSubstitute {
		t.Fatalf("best over budget stands in: costs %v", rec.costs)
	}
	con.NewPolicy = nil
	con.Policy = "lru"
	if _, err := RunTasks(tinyTasks(0), con, TaskConfig{CapacityBytes: 10}); !errors.Is(err, ErrInvalidEval) {
		t.Fatalf("substitutes with LRU: err = %v, want ErrInvalidEval", err)
	}
}

// TestRunTasksCapacity: best (4 bytes) never fits in 1 byte, so every
// request for it is a transient load of 400 ms, and none is a hit.
func TestRunTasksCapacity(t *testing.T) {
	w := tinyTasks(0, time.Second, 2*time.Second)
	r := runTasks(t, w, TaskContender{Name: "best", Variant: 2}, TaskConfig{CapacityBytes: 1})
	if r.TransientLoads != 3 || r.Loads != 0 || r.TotalLoadDelay != 1200*ms || r.Hits != 0 {
		t.Fatalf("always best in 1 byte: %+v", r)
	}
}

func TestMapTasks(t *testing.T) {
	tr := &trace.Trace{Models: []string{"fn-b", "fn-a", "fn-c"}, Requests: reqs(0, 2, 1, 0)}
	w, err := MapTasks(tr, tinyFamily(), BudgetRange{Lo: 1.5, Hi: 3}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range w.Budgets {
		if b < 15*ms || b > 30*ms {
			t.Fatalf("task %s budget %v, want within 1.5-3 x 10 ms", w.Tasks[i], b)
		}
	}
	if w.Budgets[0] == w.Budgets[1] && w.Budgets[1] == w.Budgets[2] {
		t.Fatalf("budgets %v all equal", w.Budgets)
	}
	again, _ := MapTasks(&trace.Trace{Models: []string{"fn-c", "fn-a", "fn-b"}}, tinyFamily(), BudgetRange{1.5, 3}, 7)
	if again.Budgets[0] != w.Budgets[2] || again.Budgets[2] != w.Budgets[0] || again.Budgets[1] != w.Budgets[1] {
		t.Fatalf("budgets depend on the order of the trace's models: %v, %v", w.Budgets, again.Budgets)
	}
	if w.TotalBytes() != 3*7 || len(w.Entries()) != 9 || w.Entries()[5].SizeBytes != 4 || w.Key(1, 2) != 5 {
		t.Fatalf("total %d, entries %v", w.TotalBytes(), w.Entries())
	}
	if w.Range.String() != "1.5-3" {
		t.Fatalf("range %q", w.Range)
	}
}

func TestMapTasksRejects(t *testing.T) {
	tr := &trace.Trace{Models: []string{"fn"}}
	dup := tinyFamily()
	dup[1].Name = "fast"
	badAcc := tinyFamily()
	badAcc[0].Accuracy = 70
	noRun := tinyFamily()
	noRun[2].RunTime = 0
	for _, tc := range []struct {
		name   string
		family []Variant
		r      BudgetRange
	}{
		{"empty family", nil, BudgetRange{1, 2}},
		{"duplicate names", dup, BudgetRange{1, 2}},
		{"accuracy in percent", badAcc, BudgetRange{1, 2}},
		{"no run time", noRun, BudgetRange{1, 2}},
		{"zero budget", tinyFamily(), BudgetRange{0, 2}},
		{"inverted range", tinyFamily(), BudgetRange{3, 2}},
	} {
		if _, err := MapTasks(tr, tc.family, tc.r, 1); !errors.Is(err, ErrMapping) {
			t.Errorf("%s: err = %v, want ErrMapping", tc.name, err)
		}
	}
	w := tinyTasks(0)
	w.Requests = append(w.Requests, trace.Request{Model: 1})
	if err := w.Validate(); !errors.Is(err, ErrInvalidWorkload) {
		t.Fatalf("request for task 1 of 1: err = %v", err)
	}
	if _, err := RunTasks(tinyTasks(0), TaskContender{Policy: "lru", Variant: 3}, TaskConfig{}); !errors.Is(err, ErrInvalidEval) {
		t.Fatalf("variant 3 of 3: err = %v", err)
	}
}

func TestWriteTaskTable(t *testing.T) {
	r := runTasks(t, tinyTasks(0, time.Second), TaskContender{Name: "task", Variant: ByTask, Upgrades: true}, TaskConfig{})
	var b strings.Builder
	if err := WriteTaskTable(&b, []TaskResult{r}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "task") || !strings.Contains(b.String(), "75.00") {
		t.Fatalf("table:\n%s", b.String())
	}
}

// TestRunTasksFallbacks: two tasks (budget 30 ms) share room for one mid
// (2 bytes) beside their fallbacks (fast, 1 byte each); each request's
// upgrade evicts the other task's mid (LRU). With fallbacks, A at 2 s and
// B at 3 s are answered by their fallback in 10 ms; without, everything
// of the task was evicted by then and each waits for a load (110 ms).
func TestRunTasksFallbacks(t *testing.T) {
	w := tinyTasks()
	w.Tasks, w.Budgets = []string{"a", "b"}, []time.Duration{30 * ms, 30 * ms}
	w.Requests = []trace.Request{{Time: 0, Model: 0}, {Time: time.Second, Model: 1}, {Time: 2 * time.Second, Model: 0}, {Time: 3 * time.Second, Model: 1}}
	con := TaskContender{Name: "task", Variant: ByTask, Upgrades: true}
	for _, tc := range []struct {
		fallbacks               bool
		misses, loads, upgrades int
		delay                   time.Duration
	}{
		{true, 2, 2, 4, 200 * ms},
		{false, 4, 4, 4, 400 * ms},
	} {
		con.Fallbacks = tc.fallbacks
		r := runTasks(t, w, con, TaskConfig{CapacityBytes: 4})
		if r.BudgetMisses != tc.misses || r.Loads != tc.loads || r.Upgrades != tc.upgrades || r.TotalLoadDelay != tc.delay || r.Served["fast"] != 4 {
			t.Errorf("fallbacks %v: %+v", tc.fallbacks, r)
		}
	}
	if _, err := RunTasks(w, TaskContender{Policy: "lru", Variant: ByTask, Fallbacks: true}, TaskConfig{CapacityBytes: 1}); !errors.Is(err, ErrInvalidEval) {
		t.Fatalf("capacity below the reserve: err = %v", err)
	}
}
