package node

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfigOverridesOnlyPresentKeys(t *testing.T) {
	base := DefaultConfig("/base")
	cfg, err := ParseConfig([]byte(`
data_dir: /data
server:
  grpc_addr: 127.0.0.1:9001
  drain_timeout: 5s
cache:
  memory_budget_bytes: 1048576
  policy: gdsf
runtime:
  threads: 4
store:
  quota_bytes: 1000
cluster:
  region: eu
  join: [127.0.0.2:7946, 127.0.0.3:7946]
`), base)
	if err != nil {
		t.Fatal(err)
	}
	want := base
	want.DataDir = "/data"
	want.Server.GRPCAddr, want.Server.DrainTimeout = "127.0.0.1:9001", 5*time.Second
	want.Cache.MemoryBudgetBytes, want.Cache.Policy = 1<<20, "gdsf"
	want.Runtime.IntraOpThreads = 4
	want.Store.QuotaBytes = 1000
	want.Cluster.Region, want.Cluster.Join = "eu", []string{"127.0.0.2:7946", "127.0.0.3:7946"}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config =\n%+v\nwant\n%+v", cfg, want)
	}
	if empty, err := ParseConfig(nil, base); err != nil || !reflect.DeepEqual(empty, base) {
		t.Fatalf("empty file = %+v, %v; want the base unchanged", empty, err)
	}
}

func TestParseConfigRejectsBadInput(t *testing.T) {
	base := DefaultConfig("/base")
	cases := []struct{ name, doc, want string }{
		{"unknown top-level key", "dat_dir: /x\n", "dat_dir"},
		{"unknown nested key", "server:\n  grpc_adr: :1\n", "grpc_adr"},
		{"wrong type", "cache:\n  memory_budget_bytes: lots\n", "lots"},
		{"bad duration", "server:\n  drain_timeout: soon\n", "soon"},
		{"not a mapping", "- a\n- b\n", "config file"},
		{"syntax", "server: [\n", "config file"},
		{"two documents", "data_dir: /a\n---\ndata_dir: /b\n", "more than one"},
		{"version is not a key", "version: x\n", "version"},
		{"too large", "data_dir: /a\n" + strings.Repeat("#", maxConfigFileBytes), "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tc.doc), base)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want one naming %q", err, tc.want)
			}
			if !reflect.DeepEqual(cfg, base) {
				t.Fatalf("a rejected file changed the config: %+v", cfg)
			}
		})
	}
}

func TestLoadConfigFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(path, []byte("cache:\n  polcy: lru\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfigFile(path, DefaultConfig("")); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "polcy") {
		t.Fatalf("error = %v; want it to name the file and the key", err)
	}
	if _, err := LoadConfigFile(path+".missing", DefaultConfig("")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

// TestExampleConfigParses: the commented example in deploy/ stays valid.
func TestExampleConfigParses(t *testing.T) {
	cfg, err := LoadConfigFile(filepath.Join("..", "deploy", "edgeserve-node.yaml"), DefaultConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.AdminToken = "from-the-environment"
	if err := cfg.validate(); err != nil {
		t.Fatalf("the example config does not validate: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("server:\n  grpc_addr: :1\n"))
	f.Add([]byte("cache: {policy: lru, load_timeout: 1m}\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("cluster: {region: eu, join: [a:1]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := DefaultConfig("/base")
		cfg, err := ParseConfig(data, base)
		if err != nil && !reflect.DeepEqual(cfg, base) {
			t.Fatalf("a rejected document changed the config")
		}
	})
}
