package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/internal/testnode"
	peerpb "github.com/edgeserve/edgeserve/proto/peer/v1"
	"github.com/edgeserve/edgeserve/runtime"
)

// TestChaosCorruptBlob: three regions of three nodes under a replayed
// load; mobilenet_v1_0.5 (real weights, so a flipped byte changes its
// outputs) is pushed at edge-eu-2, and a checker sends it the same inputs
// at every node in turn and compares each answer with the answer of a
// reference node outside the cluster that imported the same file.
//
//   - A byte of edge-eu-2's stored copy is flipped, then a peer fetches
//     the blob (the test calls the peer service's FetchBlob, as a node
//     fetching the model does): edge-eu-2 finds the copy corrupt while
//     sending it (DATA_LOSS, the blob moved to quarantine/), and fetches
//     a good copy from the other holder.
//   - A byte of the copy a node of ap fetched is flipped and the node is
//     restarted: loading the model again, it finds the copy corrupt
//     before the load and fetches a good one.
//
// No answer ever differs from the reference's, both repaired copies hash
// to the model's digest, and the load is answered (99.9%, retries
// included).
func TestChaosCorruptBlob(t *testing.T) {
	long(t)
	c := startChaosCluster(t, chaosOptions{regions: chaosRegions, perRegion: 3})
	models := c.pushLoadModels()
	const checked = "mobilenet_v1_0.5"
	file := testnode.ZooFile(t, checked)
	digest := fileDigest(t, file)

	ref := startNode(t, "edge-ref", "127.0.0.20")
	cli(t, "models", "push", checked, file, "--addr", ref.grpc)
	refClient := dialNode(t, ref)
	resp, err := inferSeeded(refClient, checked)
	if err != nil {
		t.Fatal(err)
	}
	want := resp.Outputs

	x := c.nodes[1]
	storedOn := c.push(x, checked, file)
	if len(storedOn) < 2 || storedOn[0] != x.name {
		t.Fatalf("pushed at %s, stored on %v: want it and another node", x.name, storedOn)
	}
	c.waitCatalog(c.nodes, len(models)+1)
	reqs := azureLoad(t, models, c.regions, 30, 0.1, 0)
	l := startLoad(t, c.replayNodes(c.nodes), reqs, 0.08)
	chk := startChecker(t, c, checked, want)

	// A peer's fetch finds the corrupt copy at x.
	flipByte(t, blobPath(x, digest))
	// (A node of the cluster may fetch it first; then that fetch found it.)
	if err := fetchBlob(x, digest); status.Code(err) != codes.DataLoss && quarantined(x) == 0 {
		t.Fatalf("fetch of a corrupt blob from %s: %v; want DATA_LOSS", x.name, err)
	}
	eventuallyWithin(t, time.Minute, x.name+" quarantines its copy and fetches a good one", func() bool {
		return quarantined(x) >= 1 && blobGood(x, digest)
	})
	t.Logf("%s: the corrupt copy was quarantined and a good one fetched from %v", x.name, storedOn[1:])

	// A restart finds the corrupt copy at y before loading it.
	y := c.inRegion("ap")[1]
	if slices.Contains(storedOn, y.name) {
		y = c.inRegion("ap")[2]
	}
	if err := c.load(y, checked); err != nil {
		t.Fatalf("load %s at %s: %v", checked, y.name, err)
	}
	if !blobGood(y, digest) {
		t.Fatalf("%s loaded %s without storing it", y.name, checked)
	}
	flipByte(t, blobPath(y, digest))
	y.stop(t)
	y.restart(t)
	if err := c.load(y, checked); err != nil {
		t.Fatalf("load %s at %s after its restart: %v", checked, y.name, err)
	}
	if quarantined(y) != 1 || !blobGood(y, digest) {
		t.Fatalf("%s after its restart: %d files in quarantine, copy good %v; want the corrupt one quarantined and a good one stored",
			y.name, quarantined(y), blobGood(y, digest))
	}
	t.Logf("%s: the corrupt copy was found at the load after the restart and replaced", y.name)

	chk.waitAnswered(t, y, 5)
	rep := l.wait(t)
	answered, wrong, failed := chk.stop()
	logReport(t, "replay", rep)
	t.Logf("checker: %d answers equal the reference's, %d differ, %d attempts failed (nodes restarting)", answered, wrong, failed)
	if wrong > 0 {
		t.Fatalf("%d answers differ from the reference's", wrong)
	}
	if rep.Sent != rep.Planned || rep.SuccessRate < 0.999 {
		t.Fatalf("replay: %+v; want at least 99.9%% answered", rep)
	}
}

// fileDigest is the sha256 of a file, in hex.
func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// blobPath is where p stores the blob of digest (store/doc.go).
func blobPath(p *proc, digest string) string {
	return filepath.Join(p.dataDir, "store", "blobs", "sha256", digest)
}

// blobGood reports whether p stores the blob of digest with its bytes
// intact.
func blobGood(p *proc, digest string) bool {
	b, err := os.ReadFile(blobPath(p, digest))
	if err != nil {
		return false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == digest
}

// quarantined counts the files in p's quarantine.
func quarantined(p *proc) int {
	es, _ := os.ReadDir(filepath.Join(p.dataDir, "store", "quarantine"))
	return len(es)
}

// flipByte inverts one byte in the middle of a file, in place, as a disk
// error would.
func flipByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	off := fi.Size() / 2
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// fetchBlob fetches a blob from p's peer service as another node would,
// and returns the error that ended the stream (nil: the whole blob came).
func fetchBlob(p *proc, digest string) error {
	d, err := hex.DecodeString(digest)
	if err != nil {
		return err
	}
	cc, err := grpc.NewClient(p.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := peerpb.NewPeerServiceClient(cc).FetchBlob(ctx, &peerpb.FetchBlobRequest{Sha256: d})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// dialNode is a client of p alone, closed when the test ends.
func dialNode(t *testing.T, p *proc) *client.Client {
	t.Helper()
	c, err := client.Dial(client.Config{Addrs: []string{p.grpc}, MaxRecvBytes: 64 << 20, PushChunkBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checker sends one model the same inputs at every node in turn and
// compares the answers with the reference's.
type checker struct {
	answered, wrong, failed atomic.Int64
	mu                      sync.Mutex
	byNode                  map[string]int // guarded by mu; answers per node
	stopC                   chan struct{}
	done                    chan struct{}
}

func startChecker(t *testing.T, c *chaosCluster, model string, want []runtime.Tensor) *checker {
	t.Helper()
	k := &checker{byNode: map[string]int{}, stopC: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(k.done)
		for i := 0; ; i++ {
			select {
			case <-k.stopC:
				return
			case <-time.After(50 * time.Millisecond):
			}
			p := c.nodes[i%len(c.nodes)]
			resp, err := inferSeeded(c.admin[p.name], model)
			switch {
			case err != nil:
				k.failed.Add(1)
			case !sameOutputs(resp.Outputs, want):
				k.wrong.Add(1)
				t.Errorf("%s answered %s with outputs that differ from the reference's", p.name, model)
			default:
				k.answered.Add(1)
				k.mu.Lock()
				k.byNode[p.name]++
				k.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { k.stop() })
	return k
}

// waitAnswered waits until p answered the checker n more times.
func (k *checker) waitAnswered(t *testing.T, p *proc, n int) {
	t.Helper()
	k.mu.Lock()
	from := k.byNode[p.name]
	k.mu.Unlock()
	eventuallyWithin(t, 2*time.Minute, fmt.Sprintf("%d answers from %s", n, p.name), func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.byNode[p.name] >= from+n
	})
}

// stop ends the checker (again: no-op) and returns its counts.
func (k *checker) stop() (answered, wrong, failed int64) {
	select {
	case <-k.stopC:
	default:
		close(k.stopC)
	}
	<-k.done
	return k.answered.Load(), k.wrong.Load(), k.failed.Load()
}

func sameOutputs(got, want []runtime.Tensor) bool {
	return slices.EqualFunc(got, want, func(a, b runtime.Tensor) bool {
		return a.Name == b.Name && a.Type == b.Type && slices.Equal(a.Shape, b.Shape) && bytes.Equal(a.Data, b.Data)
	})
}
