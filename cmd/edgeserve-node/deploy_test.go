package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/node"
	"github.com/edgeserve/edgeserve/placement/policy"
)

// deployDir holds the deployment examples, from this package's directory.
const deployDir = "../../deploy"

// TestDeployExamples: every example in deploy/ reads through the node's
// own config loader and flag parser (an unknown key or flag fails), and
// the settings agree with what the files around them assume: ports,
// probes, scrape annotations, join addresses, secrets, stop timeouts.
func TestDeployExamples(t *testing.T) {
	t.Setenv("EDGESERVE_ADMIN_TOKEN", "")
	t.Setenv("EDGESERVE_CLUSTER_SECRET", "")
	t.Run("sites", testSiteConfigs)
	t.Run("systemd", testSystemdUnit)
	t.Run("container", testDockerfile)
	t.Run("kubernetes", testKubernetes)
}

// siteFiles are the per-site example configs.
func siteFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "sites", "*.yaml"))
	if err != nil || len(files) != 3 {
		t.Fatalf("want three site configs in deploy/sites, found %v (%v)", files, err)
	}
	return files
}

// testSiteConfigs: each site's file names its site (the file name) and
// region, joins a node of every site, encrypts gossip, and uses the same
// transport security as the others (nodes of different modes cannot call
// each other).
func testSiteConfigs(t *testing.T) {
	regions := map[string]int{} // bootstrap_expect by region
	var mTLS []bool
	for _, file := range siteFiles(t) {
		cfg := parseExample(t, "--config", file)
		site := strings.TrimSuffix(filepath.Base(file), ".yaml")
		c := cfg.Cluster
		if c.Site != site || c.Region == "" || !strings.HasPrefix(c.Name, "edge-"+site+"-") || net.ParseIP(c.AdvertiseAddr) == nil {
			t.Errorf("%s: cluster %+v: want site %s, a region, a name of the site and an IP to advertise", file, c, site)
		}
		if len(c.Join) != 3 || c.GossipKey == "" || (c.GossipProfile != "lan" && c.GossipProfile != "wan") {
			t.Errorf("%s: join %v, gossip key %q, profile %q: want a node of each site, a keyring, lan or wan", file, c.Join, c.GossipKey, c.GossipProfile)
		}
		checkServer(t, file, cfg)
		if n, ok := regions[c.Region]; ok && n != c.BootstrapExpect {
			t.Errorf("%s: bootstrap_expect %d, another site of region %s has %d: want the same", file, c.BootstrapExpect, c.Region, n)
		}
		regions[c.Region] = c.BootstrapExpect
		mTLS = append(mTLS, cfg.Server.TLSClientCAFile != "")
	}
	if len(regions) != 2 || slices.Contains(mTLS, !mTLS[0]) {
		t.Errorf("regions %v, mutual TLS per site %v: want two regions and one security mode", regions, mTLS)
	}
}

// checkServer checks what node.New would refuse, and a known policy.
// node.Config.Validate checks these rules too, but it also reads the key
// files and secrets an example expects on its target machine, so the
// rules that matter for the examples are restated here.
func checkServer(t *testing.T, what string, cfg node.Config) {
	t.Helper()
	checkCluster(t, what, cfg)
	s := cfg.Server
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") || (s.TLSClientCAFile != "" && s.TLSCertFile == "") {
		t.Errorf("%s: tls_cert %q, tls_key %q, tls_client_ca %q do not go together", what, s.TLSCertFile, s.TLSKeyFile, s.TLSClientCAFile)
	}
	if s.HTTPWriteTimeout <= max(s.RequestTimeout, cfg.Cache.LoadTimeout) {
		t.Errorf("%s: http_write_timeout %v must exceed request_timeout and load_timeout", what, s.HTTPWriteTimeout)
	}
	if !slices.Contains(policy.Names(), cfg.Cache.Policy) || cfg.Cache.MemoryBudgetBytes <= 0 || cfg.DataDir == "" {
		t.Errorf("%s: policy %q, budget %d, data dir %q", what, cfg.Cache.Policy, cfg.Cache.MemoryBudgetBytes, cfg.DataDir)
	}
	if port(t, s.MetricsAddr) != "8002" || port(t, s.HTTPAddr) != "8000" || port(t, s.GRPCAddr) != "8001" {
		t.Errorf("%s: ports %s %s %s: want Triton's 8000, 8001, 8002", what, s.HTTPAddr, s.GRPCAddr, s.MetricsAddr)
	}
}

// checkCluster: beyond loopback, gossip needs a key, Raft mutual TLS and
// node-to-node calls a secret or mutual TLS, each unless insecure_cluster
// (node/cluster_config.go, node/placement_group.go, node/config.go).
func checkCluster(t *testing.T, what string, cfg node.Config) {
	t.Helper()
	c, mTLS := cfg.Cluster, cfg.Server.TLSClientCAFile != ""
	if !c.Enabled() {
		return
	}
	if (c.GossipKey == "" || !mTLS) && !c.InsecureCluster {
		t.Errorf("%s: gossip key %q, mutual TLS %v: gossip and Raft beyond loopback need a key and mutual TLS, or insecure_cluster", what, c.GossipKey, mTLS)
	}
	if !mTLS && !c.InsecureCluster {
		t.Errorf("%s: node-to-node calls need mutual TLS or a cluster secret (from the environment)", what)
	}
	if port(t, c.RaftAddr) != "8300" || c.BootstrapExpect < 1 {
		t.Errorf("%s: raft_addr %q, bootstrap_expect %d: want port 8300 and a region that forms its group", what, c.RaftAddr, c.BootstrapExpect)
	}
}

// parseExample parses args as edgeserve-node would.
func parseExample(t *testing.T, args ...string) node.Config {
	t.Helper()
	cfg, _, err := parseFlags(args)
	if err != nil {
		t.Fatalf("edgeserve-node %s: %v", strings.Join(args, " "), err)
	}
	return cfg
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("address %q: %v", addr, err)
	}
	return p
}

// stopBudget is what a node may take to stop: the drain and the leave.
func stopBudget(cfg node.Config) time.Duration {
	return cfg.Server.DrainTimeout + cfg.Cluster.LeaveTimeout
}

// testSystemdUnit: the unit's command line parses (with a site's config)
// and the stop timeout covers the drain and the leave.
func testSystemdUnit(t *testing.T) {
	keys := unitKeys(t, filepath.Join(deployDir, "edgeserve-node.service"))
	args := strings.Fields(keys["ExecStart"])
	if len(args) < 3 || args[0] != "/usr/local/bin/edgeserve-node" || args[1] != "--config" {
		t.Fatalf("ExecStart=%s: want edgeserve-node --config FILE", keys["ExecStart"])
	}
	args[2] = siteFiles(t)[0]
	cfg := parseExample(t, args[1:]...)
	stop, err := time.ParseDuration(keys["TimeoutStopSec"] + "s")
	if err != nil || stop <= stopBudget(cfg) || keys["StateDirectory"] != "edgeserve" || cfg.DataDir != "/var/lib/edgeserve" {
		t.Errorf("TimeoutStopSec=%s (%v), StateDirectory=%s, data_dir %s: want more than the drain and leave (%v) and /var/lib/edgeserve",
			keys["TimeoutStopSec"], err, keys["StateDirectory"], cfg.DataDir, stopBudget(cfg))
	}
}

// unitKeys reads a systemd unit's key=value lines (the last of a key wins).
func unitKeys(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	return keys
}

// testDockerfile: the image's default command parses, and the image
// exposes its ports and fetches the pinned ONNX Runtime.
func testDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var cmd []string
	text := string(b)
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "CMD "); ok {
			if err := json.Unmarshal([]byte(rest), &cmd); err != nil {
				t.Fatalf("CMD %s: %v", rest, err)
			}
		}
	}
	cfg := parseExample(t, cmd...)
	if cfg.DataDir != "/var/lib/edgeserve" || !strings.Contains(text, "EXPOSE 8000 8001 8002 7946 7946/udp 8300") ||
		!strings.Contains(text, "RUN deploy/fetch-onnxruntime.sh") || !strings.Contains(text, `ENTRYPOINT ["/usr/local/bin/edgeserve-node"]`) {
		t.Errorf("Dockerfile: data dir %q; want the volume's, the ports exposed, ONNX Runtime fetched, the node as entrypoint", cfg.DataDir)
	}
	checkServer(t, "Dockerfile CMD", cfg)
}
