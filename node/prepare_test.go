package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
	"github.com/edgeserve/edgeserve/runtime/ort"
	"github.com/edgeserve/edgeserve/store"
)

// TestPushPreparesFastForm: a pushed model's fast-loading form is prepared
// in the background and recorded in the catalog under the model's digest
// and the runtime's key, so its first miss loads the prepared form.
func TestPushPreparesFastForm(t *testing.T) {
	tn := startNode(t, nil)
	info := push(t, tn.admin, "mobilenet", zooModel(t, "mobilenet_v1_0.25"))
	key := tn.loader.(*ort.Loader).ArtifactKey()
	d, err := store.ParseDigest("sha256:" + info.GetSha256())
	if err != nil {
		t.Fatal(err)
	}
	var art store.Artifact
	testutil.Eventually(t, "the prepared form is recorded", func() bool {
		art, err = tn.store.GetArtifact(context.Background(), d, key)
		return err == nil
	})
	if len(art.Paths) != 1 {
		t.Fatalf("artifact paths %v, want one folder", art.Paths)
	}
	if _, err := os.Stat(filepath.Join(art.Paths[0], ort.PreparedModelFile)); err != nil {
		t.Fatalf("prepared model missing: %v", err)
	}
	lease, err := tn.cache.Acquire(testCtx(t), "mobilenet:1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	if p := lease.Model().Profile(); !p.Prepared || p.PrepareTime != 0 {
		t.Fatalf("first load: prepared %v, prepare time %v; want the form prepared at push", p.Prepared, p.PrepareTime)
	}
}

// TestDeletePreparedForm: a prepared form stays while any model version
// refers to its blob; deleting the last one removes its folder and its
// catalog record, so that GC collects the blob.
func TestDeletePreparedForm(t *testing.T) {
	tn := startNode(t, nil)
	ctx := adminCtx(t)
	model := zooModel(t, "mobilenet_v1_0.25")
	info := push(t, tn.admin, "first", model)
	push(t, tn.admin, "second", model) // same bytes, same blob
	d, err := store.ParseDigest("sha256:" + info.GetSha256())
	if err != nil {
		t.Fatal(err)
	}
	key := tn.loader.(*ort.Loader).ArtifactKey()
	var art store.Artifact
	testutil.Eventually(t, "the prepared form is recorded", func() bool {
		art, err = tn.store.GetArtifact(ctx, d, key)
		return err == nil
	})
	if _, err := tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.store.GetArtifact(ctx, d, key); err != nil {
		t.Fatalf("prepared form gone while \"second\" still uses the blob: %v", err)
	}
	if _, err := tn.admin.DeleteModel(ctx, &adminpb.DeleteModelRequest{Name: "second"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.store.GetArtifact(ctx, d, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("prepared form still recorded after the last version went: %v", err)
	}
	if _, err := os.Stat(art.Paths[0]); !os.IsNotExist(err) {
		t.Fatalf("prepared folder %s still there: %v", art.Paths[0], err)
	}
	prepared := filepath.Join(tn.cfg.DataDir, "prepared")
	if left, err := os.ReadDir(prepared); err != nil || len(left) != 0 {
		t.Fatalf("%s holds %v (%v), want it empty", prepared, left, err)
	}
	res, err := tn.store.(*store.Store).GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 || res.Removed[0] != d {
		t.Fatalf("GC removed %v, want the blob %s", res.Removed, d)
	}
}

func TestInside(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/data/prepared/x", true},
		{"/data", false},
		{"/data/..", false},
		{"/data/../etc", false},
		{"/data2/x", false},
		{"/etc/passwd", false},
		{"relative/x", false},
	} {
		if got := inside("/data", tc.path); got != tc.want {
			t.Errorf("inside(/data, %q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
