package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"

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
	eventually(t, "the prepared form is recorded", func() bool {
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
