package testutil

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatal and Skip end the calling goroutine
// and are recorded, as the real ones end the test.
type recorder struct {
	testing.TB
	mu      sync.Mutex // guards the fields below
	failed  string
	skipped string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprint(args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }
func (r *recorder) Skip(args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprint(args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// inGoroutine runs f as a test body would run, so that Goexit ends only it.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	<-done
}

func TestORTLibrary(t *testing.T) {
	cases := []struct {
		name, lib, require string
		wantLib            string
		wantFail, wantSkip bool
	}{
		{name: "set", lib: "/x/libonnxruntime.so", wantLib: "/x/libonnxruntime.so"},
		{name: "set and required", lib: "/x/lib.so", require: "1", wantLib: "/x/lib.so"},
		{name: "missing elsewhere", wantSkip: true},
		{name: "missing under make test", require: "1", wantFail: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(ORTLibraryEnv, c.lib)
			t.Setenv(RequireORTEnv, c.require)
			r := &recorder{TB: t}
			var got string
			inGoroutine(func() { got = ORTLibrary(r) })
			if got != c.wantLib || (r.failed != "") != c.wantFail || (r.skipped != "") != c.wantSkip {
				t.Fatalf("lib %q failed %q skipped %q", got, r.failed, r.skipped)
			}
			for _, msg := range []string{r.failed, r.skipped} {
				if msg != "" && !strings.Contains(msg, "make setup") {
					t.Errorf("message %q does not say how to get the library", msg)
				}
			}
		})
	}
}

func TestEventually(t *testing.T) {
	calls := 0
	Eventually(t, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
	start := time.Now()
	if poll(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("poll of a condition that never holds reported success")
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("poll gave up before its timeout")
	}
}
