package raftgroup

import (
	"testing"

	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/hashicorp/go-hclog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestHclogOnZap(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	l := newHclog(zap.New(core), "raft").With("node", "n1").Named("net")
	l.Debug("hidden")
	l.Info("entering follower state", "term", 3)
	l.Warn("heartbeat timeout", "odd")
	l.Error("failed", "error", "boom")
	if l.IsDebug() || !l.IsInfo() || l.GetLevel() != hclog.Info || l.Name() != "raft.net" {
		t.Fatalf("levels: debug %v info %v level %v name %q", l.IsDebug(), l.IsInfo(), l.GetLevel(), l.Name())
	}
	got := logs.AllUntimed()
	if len(got) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(got), got)
	}
	want := []struct {
		level zapcore.Level
		msg   string
		field string
	}{{zapcore.InfoLevel, "entering follower state", "term"}, {zapcore.WarnLevel, "heartbeat timeout", "extra"}, {zapcore.ErrorLevel, "failed", "error"}}
	for i, w := range want {
		e := got[i]
		if e.Level != w.level || e.Message != w.msg || e.LoggerName != "raft.net" || e.ContextMap()["node"] != "n1" {
			t.Errorf("entry %d: %+v", i, e)
		}
		if _, ok := e.ContextMap()[w.field]; !ok {
			t.Errorf("entry %d lacks field %q: %v", i, w.field, e.ContextMap())
		}
	}
	l.StandardLogger(nil).Print("from the standard logger")
	if n := logs.FilterMessage("from the standard logger").Len(); n != 1 {
		t.Errorf("the standard logger wrote %d entries", n)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := testConfig("n", "eu", t.TempDir(), "127.0.0.1:0", 3)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"no name":        func(c *Config) { c.Name = "" },
		"no region":      func(c *Config) { c.Region = "" },
		"no dir":         func(c *Config) { c.DataDir = "" },
		"expect > max":   func(c *Config) { c.BootstrapExpect = 6 },
		"no voters":      func(c *Config) { c.MaxVoters = 0 },
		"no interval":    func(c *Config) { c.PlanInterval = 0 },
		"bad bind":       func(c *Config) { c.BindAddr = "nope" },
		"no ttl":         func(c *Config) { c.PromiseTTL = 0 },
		"bad plan rules": func(c *Config) { c.Plan.Utilisation = 0 },
	} {
		c := ok
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s: validated", name)
		}
	}
	c := ok
	c.BindAddr = "0.0.0.0:0"
	src := SourceFunc(func() hints.Input { return hints.Input{} })
	if _, err := New(c, Deps{Discovery: DiscoveryFunc(func() []Member { return nil }), Source: src}); err == nil {
		t.Error("started advertising 0.0.0.0")
	}
}
