package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/edgeserve/edgeserve/node"
)

// k8sObject holds the fields of Kubernetes objects the test checks.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data      map[string]string `yaml:"data"`
	Resources []string          `yaml:"resources"`
	Spec      struct {
		ClusterIP                string    `yaml:"clusterIP"`
		PublishNotReadyAddresses bool      `yaml:"publishNotReadyAddresses"`
		Ports                    []k8sPort `yaml:"ports"`
		ServiceName              string    `yaml:"serviceName"`
		Template                 struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec k8sPodSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sPort struct {
	Name          string `yaml:"name"`
	Port          int    `yaml:"port"`
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

type k8sEnv struct {
	Name string `yaml:"name"`
}

type k8sMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	Containers                    []struct {
		Args           []string  `yaml:"args"`
		Env            []k8sEnv  `yaml:"env"`
		Ports          []k8sPort `yaml:"ports"`
		ReadinessProbe struct {
			HTTPGet struct {
				Path string `yaml:"path"`
				Port string `yaml:"port"`
			} `yaml:"httpGet"`
		} `yaml:"readinessProbe"`
		VolumeMounts []k8sMount `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

// k8sObjects decodes every document of every manifest, by kind and name.
func k8sObjects(t *testing.T) map[string]*k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes (%v)", err)
	}
	out := map[string]*k8sObject{}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(f)
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			out[o.Kind+"/"+o.Metadata.Name] = &o
		}
		f.Close()
	}
	return out
}

// testKubernetes: the kustomization lists every manifest; each site's
// StatefulSet runs its ConfigMap's config with flags that parse, as the
// site its labels say; its readiness probe is the OIP ready endpoint on
// the HTTP port; Prometheus scrapes the metrics port; the gossip service
// is headless and publishes pods before they are ready; joins name the
// first pod of every site through it; the token and secret come from the
// Secret; the grace period covers the drain and the leave.
func testKubernetes(t *testing.T) {
	objs := k8sObjects(t)
	checkKustomization(t, objs["Kustomization/"])
	gossip := objs["Service/edgeserve-gossip"]
	if gossip == nil || gossip.Spec.ClusterIP != "None" || !gossip.Spec.PublishNotReadyAddresses {
		t.Fatalf("gossip service %+v: want a headless service publishing pods before they are ready", gossip)
	}
	var svcPorts []string
	for _, p := range gossip.Spec.Ports {
		svcPorts = append(svcPorts, strconv.Itoa(p.Port)+"/"+p.Protocol)
	}
	if !sameSet(svcPorts, []string{"7946/TCP", "7946/UDP", "8001/TCP", "8300/TCP"}) {
		t.Errorf("gossip service ports %v: want gossip (TCP, UDP), gRPC and Raft", svcPorts)
	}
	var sets []string
	for key := range objs {
		if name, ok := strings.CutPrefix(key, "StatefulSet/"); ok {
			sets = append(sets, name)
		}
	}
	if len(sets) != 3 {
		t.Fatalf("StatefulSets %v: want one per site", sets)
	}
	expect := map[string]int{} // bootstrap_expect by region
	for _, name := range sets {
		c := checkStatefulSet(t, objs, objs["StatefulSet/"+name], sets).Cluster
		if n, ok := expect[c.Region]; ok && n != c.BootstrapExpect {
			t.Errorf("%s: bootstrap_expect %d, another site of region %s has %d", name, c.BootstrapExpect, c.Region, n)
		}
		expect[c.Region] = c.BootstrapExpect
	}
}

func checkKustomization(t *testing.T, k *k8sObject) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && b != "secrets.example.yaml" {
			want = append(want, b)
		}
	}
	if k == nil || !sameSet(k.Resources, want) {
		t.Fatalf("kustomization: want resources %v", want)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkStatefulSet checks one site's StatefulSet and returns its pods'
// configuration.
func checkStatefulSet(t *testing.T, objs map[string]*k8sObject, ss *k8sObject, sets []string) node.Config {
	t.Helper()
	pod := ss.Spec.Template
	c := pod.Spec.Containers[0]
	args := podArgs(t, objs, ss)
	cfg := parseExample(t, args...)
	site := pod.Metadata.Labels["edgeserve.io/site"]
	if cfg.Cluster.Site != site || ss.Metadata.Name != "edgeserve-"+site || cfg.Cluster.Name != ss.Metadata.Name+"-0" {
		t.Errorf("%s: site %q name %q; want the label's site %q and the pod's name", ss.Metadata.Name, cfg.Cluster.Site, cfg.Cluster.Name, site)
	}
	checkServer(t, ss.Metadata.Name, cfg)
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	probe := c.ReadinessProbe.HTTPGet
	ann := pod.Metadata.Annotations
	if probe.Path != "/v2/health/ready" || port(t, cfg.Server.HTTPAddr) != strconv.Itoa(ports[probe.Port]) {
		t.Errorf("%s: readiness %+v (ports %v): want /v2/health/ready on the HTTP port %s", ss.Metadata.Name, probe, ports, cfg.Server.HTTPAddr)
	}
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != port(t, cfg.Server.MetricsAddr) {
		t.Errorf("%s: annotations %v: want Prometheus to scrape /metrics on %s", ss.Metadata.Name, ann, cfg.Server.MetricsAddr)
	}
	if ss.Spec.ServiceName != "edgeserve-gossip" || port(t, cfg.Cluster.GossipAddr) != strconv.Itoa(ports["gossip-tcp"]) ||
		ports["gossip-udp"] != ports["gossip-tcp"] || port(t, cfg.Cluster.RaftAddr) != strconv.Itoa(ports["raft"]) {
		t.Errorf("%s: service %q, gossip %s, raft %s, ports %v", ss.Metadata.Name, ss.Spec.ServiceName, cfg.Cluster.GossipAddr, cfg.Cluster.RaftAddr, ports)
	}
	if !cfg.Server.InsecureAdmin && !slices.Contains(envNames(c.Env), "EDGESERVE_ADMIN_TOKEN") {
		t.Errorf("%s: no admin token while listening beyond loopback", ss.Metadata.Name)
	}
	var joins []string
	for _, name := range sets {
		joins = append(joins, name+"-0.edgeserve-gossip.edgeserve.svc.cluster.local:"+port(t, cfg.Cluster.GossipAddr))
	}
	if !sameSet(cfg.Cluster.Join, joins) || !strings.HasPrefix(cfg.Cluster.GossipKey, mountOf(c.VolumeMounts, "secrets")+"/") {
		t.Errorf("%s: join %v, gossip key %q: want %v and the keyring from the Secret", ss.Metadata.Name, cfg.Cluster.Join, cfg.Cluster.GossipKey, joins)
	}
	env := envNames(c.Env)
	grace := time.Duration(pod.Spec.TerminationGracePeriodSeconds) * time.Second
	if !slices.Contains(env, "EDGESERVE_ADMIN_TOKEN") || !slices.Contains(env, "EDGESERVE_CLUSTER_SECRET") || grace <= stopBudget(cfg) {
		t.Errorf("%s: env %v, grace %v: want the token and secret from the Secret and more than %v", ss.Metadata.Name, env, grace, stopBudget(cfg))
	}
	return cfg
}

func envNames(env []k8sEnv) []string {
	var out []string
	for _, e := range env {
		out = append(out, e.Name)
	}
	return out
}

// podArgs are the container's arguments as the pod's first replica gets
// them, its config file the ConfigMap's, written to a temporary file.
func podArgs(t *testing.T, objs map[string]*k8sObject, ss *k8sObject) []string {
	t.Helper()
	spec := ss.Spec.Template.Spec
	c := spec.Containers[0]
	args := slices.Clone(c.Args)
	for i, a := range args {
		a = strings.ReplaceAll(a, "$(POD_NAME)", ss.Metadata.Name+"-0")
		args[i] = strings.ReplaceAll(a, "$(POD_IP)", "192.0.2.1")
		if file, ok := strings.CutPrefix(a, "--config="); ok {
			dir, base := filepath.Split(file)
			args[i] = "--config=" + configMapFile(t, objs, spec, c.VolumeMounts, filepath.Clean(dir), base)
		}
	}
	return args
}

// configMapFile writes the key base of the ConfigMap mounted at dir to a
// temporary file and returns its path.
func configMapFile(t *testing.T, objs map[string]*k8sObject, spec k8sPodSpec, mounts []k8sMount, dir, base string) string {
	t.Helper()
	for _, m := range mounts {
		if m.MountPath != dir {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				cm := objs["ConfigMap/"+v.ConfigMap.Name]
				if cm == nil || cm.Data[base] == "" {
					t.Fatalf("ConfigMap %s has no %s", v.ConfigMap.Name, base)
				}
				path := filepath.Join(t.TempDir(), base)
				if err := os.WriteFile(path, []byte(cm.Data[base]), 0o600); err != nil {
					t.Fatal(err)
				}
				return path
			}
		}
	}
	t.Fatalf("no ConfigMap is mounted at %s", dir)
	return ""
}

func mountOf(mounts []k8sMount, name string) string {
	for _, m := range mounts {
		if m.Name == name {
			return m.MountPath
		}
	}
	return "(none)"
}
