package sim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPlaneTopology(t *testing.T) {
	cfg := DefaultPlaneConfig()
	cfg.Regions, cfg.SitesPerRegion, cfg.NodesPerSite = 3, 4, 2
	a, err := NewPlaneTopology(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewPlaneTopology(cfg)
	if a.Nodes() != 24 || len(a.Sites) != 12 || a.Sites[5].Name != "r1s1" || a.Sites[5].Region != 1 || a.NodeSite(5) != 2 {
		t.Fatalf("topology %+v", a)
	}
	var within, across time.Duration
	for i := range a.Sites {
		if a.RTT[i][i] != cfg.IntraSite {
			t.Fatalf("site %d to itself: %v", i, a.RTT[i][i])
		}
		for j := range a.Sites {
			if a.RTT[i][j] != a.RTT[j][i] || a.RTT[i][j] != b.RTT[i][j] || a.RTT[i][j] < cfg.IntraSite {
				t.Fatalf("RTT %d-%d: %v, %v back, %v from the same seed", i, j, a.RTT[i][j], a.RTT[j][i], b.RTT[i][j])
			}
			if i != j && a.Sites[i].Region == a.Sites[j].Region {
				within = max(within, a.RTT[i][j])
			} else if i != j {
				across += a.RTT[i][j]
			}
		}
	}
	// Sites of a region are within 2 x 10 ms (+ 2 ms jitter) of each other.
	if within > 22*ms || across/time.Duration(12*12-12*4) <= within {
		t.Fatalf("within a region up to %v, across on average %v", within, across/time.Duration(12*12-12*4))
	}
	if a.NodeRTT(0, 1) != cfg.IntraSite || a.NodeRTT(3, 3) != 0 || a.NodeRTT(0, 23) != a.RTT[0][11] {
		t.Fatal("NodeRTT")
	}
	cfg.Seed = 2
	if c, _ := NewPlaneTopology(cfg); c.RTT[0][11] == a.RTT[0][11] {
		t.Fatal("another seed, the same places")
	}
	for _, bad := range []func(*PlaneConfig){
		func(c *PlaneConfig) { c.Regions = 0 },
		func(c *PlaneConfig) { c.NodesPerSite = 0 },
		func(c *PlaneConfig) { c.Jitter = -1 },
		func(c *PlaneConfig) { c.ClientRTT = -1 },
	} {
		c := DefaultPlaneConfig()
		bad(&c)
		if _, err := NewPlaneTopology(c); !errors.Is(err, ErrTopology) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

const goodMatrix = `# three sites, two regions
site,region,a,b,c
a,eu,0.5,10,80
b,eu,10,0.5,75.25
c,us,80,75.25,1
`

func TestReadRTTMatrix(t *testing.T) {
	topo, err := ReadRTTMatrix(strings.NewReader(goodMatrix), 2, 3*ms)
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Sites) != 3 || topo.Regions[1] != "us" || topo.Sites[2].Region != 1 || topo.Nodes() != 6 ||
		topo.RTT[1][2] != 75250*time.Microsecond || topo.NodeRTT(0, 1) != 500*time.Microsecond || topo.ClientRTT != 3*ms {
		t.Fatalf("topology %+v", topo)
	}
}

func TestReadRTTMatrixMalformed(t *testing.T) {
	tests := map[string]string{
		"empty":          "",
		"bad header":     "name,region,a\n",
		"no sites":       "site,region\n",
		"repeated site":  "site,region,a,a\na,x,0,1\na,x,1,0\n",
		"empty site":     "site,region,a,\n",
		"short row":      "site,region,a,b\na,x,0\nb,x,1,0\n",
		"wrong order":    "site,region,a,b\nb,x,0,1\na,x,1,0\n",
		"no region":      "site,region,a\na,,0\n",
		"negative":       "site,region,a,b\na,x,0,-1\nb,x,1,0\n",
		"not a number":   "site,region,a\na,x,fast\n",
		"not finite":     "site,region,a\na,x,NaN\n",
		"infinite":       "site,region,a\na,x,Inf\n",
		"too large":      "site,region,a\na,x,2e6\n",
		"missing row":    "site,region,a,b\na,x,0,1\n",
		"extra row":      "site,region,a\na,x,0\nb,x,0\n",
		"bad quoting":    "site,region,a\n\"a,x,0\n",
		"too many sites": "site,region" + strings.Repeat(",s", MaxMatrixSites+1) + "\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadRTTMatrix(strings.NewReader(in), 1, 0); !errors.Is(err, ErrTopology) {
				t.Fatalf("error %v, want ErrTopology", err)
			}
		})
	}
	if _, err := ReadRTTMatrix(strings.NewReader(goodMatrix), 0, 0); !errors.Is(err, ErrTopology) {
		t.Fatalf("no nodes per site: %v", err)
	}
}

// FuzzReadRTTMatrix: any input yields a valid topology or ErrTopology.
func FuzzReadRTTMatrix(f *testing.F) {
	f.Add(goodMatrix)
	f.Add("site,region,a\na,x,0\n")
	f.Add("site,region,a,b\na,x,0,1e6\nb,y,0.001,0\n")
	f.Fuzz(func(t *testing.T, in string) {
		topo, err := ReadRTTMatrix(strings.NewReader(in), 1, ms)
		if err != nil {
			if !errors.Is(err, ErrTopology) {
				t.Fatalf("error %v does not wrap ErrTopology", err)
			}
			return
		}
		if err := topo.Validate(); err != nil {
			t.Fatalf("decoded an invalid topology: %v", err)
		}
	})
}
