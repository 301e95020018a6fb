package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/edgeserve/edgeserve/internal/testutil"
	"os"
	"path/filepath"
	"testing"
	"time"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
)

// TestDeleteFreesDisk: through a real node over gRPC, the store's files
// return to their size before a push after the model is removed: its blob
// and its prepared form go with the delete, while a second model with the
// same bytes keeps both.
func TestDeleteFreesDisk(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	dir := filepath.Join(tn.cfg.DataDir, "store")
	before, catBefore := dirBytes(t, dir)
	model := zooModel(t, "mobilenet_v1_0.25")
	push(t, tn.admin, "first", model)
	push(t, tn.admin, "second", model) // same bytes, same blob
	pushed, catPushed := dirBytes(t, dir)
	if _, err := tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "first"}); err != nil {
		t.Fatal(err)
	}
	if kept, _ := dirBytes(t, dir); kept != pushed {
		t.Fatalf("store files %d bytes after removing one of two users of a blob, %d before", kept, pushed)
	}
	if _, err := tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "second"}); err != nil {
		t.Fatal(err)
	}
	after, catAfter := dirBytes(t, dir)
	t.Logf("store files: %d bytes before the push, %d after it, %d after rm (catalog.db %d, %d, %d)",
		before, pushed, after, catBefore, catPushed, catAfter)
	if after != before || pushed <= before {
		t.Fatalf("store files: %d bytes before the push, %d after it, %d after rm; want the first back", before, pushed, after)
	}
	if st := tn.store.(*store.Store).Stats(); st.UsedBytes != 0 {
		t.Fatalf("store accounts %d used bytes after rm", st.UsedBytes)
	}
}

// TestOrphanBlobCollectedAtStart: a blob no record references, left by an
// earlier run, is removed by the node's first GC, without waiting for the
// grace period.
func TestOrphanBlobCollectedAtStart(t *testing.T) {
	data, err := os.ReadFile(zooModel(t, "tiny_mlp"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	var blob string
	tn := startNode(t, func(c *Config, _ *Deps) {
		blobs := filepath.Join(c.DataDir, "store", "blobs", "sha256")
		if err := os.MkdirAll(blobs, 0o755); err != nil {
			t.Fatal(err)
		}
		blob = filepath.Join(blobs, hex.EncodeToString(sum[:]))
		if err := os.WriteFile(blob, data, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	// The file goes first, then its bytes leave the store's accounting.
	testutil.Eventually(t, "the orphan blob is removed and unaccounted", func() bool {
		_, err := os.Stat(blob)
		return os.IsNotExist(err) && tn.store.(*store.Store).Stats().UsedBytes == 0
	})
}

// heldLoader holds every Load and PrepareSource until release is closed,
// telling loading (when someone waits there) that one started.
type heldLoader struct {
	*ort.Loader
	loading chan struct{}
	release chan struct{}
}

func (b *heldLoader) Load(ctx context.Context, src runtime.Source) (runtime.Model, error) {
	b.hold()
	return b.Loader.Load(ctx, src)
}

func (b *heldLoader) PrepareSource(ctx context.Context, src runtime.Source) (string, error) {
	b.hold()
	return b.Loader.PrepareSource(ctx, src)
}

func (b *heldLoader) hold() {
	select {
	case b.loading <- struct{}{}:
	default: // nobody is waiting: a later load
	}
	<-b.release
}

// TestGCKeepsPushInProgress: a push whose model is being checked (loaded
// and prepared) when GC runs, with no grace period at all, completes, and
// its model and prepared form are there afterwards.
func TestGCKeepsPushInProgress(t *testing.T) {
	bl := &heldLoader{loading: make(chan struct{}), release: make(chan struct{})}
	tn := startNode(t, func(c *Config, d *Deps) {
		c.Store.GCGrace = 0
		oc := ort.DefaultConfig()
		oc.LibraryPath, oc.IntraOpThreads, oc.PreparedDir = c.Runtime.ORTLibrary, 1, filepath.Join(c.DataDir, "prepared")
		l, err := ort.New(oc, nil)
		if err != nil {
			t.Fatal(err)
		}
		bl.Loader = l
		d.Loader = bl
	})
	done := make(chan error, 1)
	data, err := os.ReadFile(zooModel(t, "tiny_mlp"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, err := pushBytes(adminCtx(t), tn.admin, "mlp", data, 0, len(data))
		done <- err
	}()
	<-bl.loading
	res, err := tn.store.GC(context.Background())
	if err != nil || len(res.Removed) != 0 {
		t.Fatalf("gc during the push: %+v, %v", res, err)
	}
	close(bl.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("push: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("push did not finish")
	}
	if _, err := tn.infer.ModelInfer(testCtx(t), mlpRequest()); err != nil {
		t.Fatalf("infer after the push: %v", err)
	}
	sum := sha256.Sum256(data)
	var d store.Digest
	copy(d[:], sum[:])
	if _, err := tn.store.GetArtifact(context.Background(), d, bl.ArtifactKey()); err != nil {
		t.Fatalf("prepared form: %v", err)
	}
}

// TestLegacyPreparedFormsRemoved: the prepared forms an earlier version
// kept in DataDir/prepared, which nothing refers to now that the store
// keeps them beside their blobs, are removed at start.
func TestLegacyPreparedFormsRemoved(t *testing.T) {
	var old string
	startNode(t, func(c *Config, _ *Deps) {
		old = filepath.Join(c.DataDir, legacyPreparedDir, "ab12", "ort-1.30")
		if err := os.MkdirAll(old, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, "model.onnx"), []byte("old form"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	testutil.Eventually(t, "the earlier version's prepared forms are removed", func() bool {
		_, err := os.Stat(filepath.Dir(filepath.Dir(old)))
		return os.IsNotExist(err)
	})
}
