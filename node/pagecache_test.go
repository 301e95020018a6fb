package node

import "testing"

// TestPageCachedShareOfAPreparedModel: the node tells its cache how much
// of a model's prepared weights the page cache holds (nothing for a model
// it does not store).
func TestPageCachedShareOfAPreparedModel(t *testing.T) {
	tn := startNode(t, nil)
	push(t, tn.admin, "mlp", zooModel(t, "tiny_mlp"))
	share, ok := tn.pageCached("mlp:1")
	if !ok || share < 0 || share > 1 {
		t.Fatalf("pageCached(mlp:1) = %v, %v; want a share in [0, 1]", share, ok)
	}
	if _, ok := tn.pageCached("nothing:1"); ok {
		t.Fatal("a share for a model the node does not store")
	}
	if _, ok := tn.pageCached("no-version"); ok {
		t.Fatal("a share for a malformed key")
	}
}
