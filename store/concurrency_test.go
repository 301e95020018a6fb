package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/edgeserve/edgeserve/internal/testutil"
)

func TestConcurrentImportsOfSameBytes(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 13, 16<<10)
	for _, sameName := range []bool{true, false} {
		t.Run(fmt.Sprintf("same name %v", sameName), func(t *testing.T) {
			s := newTestStore(t)
			const n = 4
			recs := make([]Record, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				name := "m"
				if !sameName {
					name = fmt.Sprintf("m%d", i)
				}
				wg.Go(func() {
					recs[i], errs[i] = s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: name})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("import %d: %v", i, err)
				}
				if recs[i].Digest != recs[0].Digest || recs[i].Version != 1 {
					t.Fatalf("import %d: %+v", i, recs[i])
				}
			}
			if b := dirFiles(t, s, dirBlobs); len(b) != 1 {
				t.Fatalf("blobs %v, want one", b)
			}
			if used, inflight := s.Usage(); used != int64(len(model)) || inflight != 0 {
				t.Fatalf("usage %d/%d, want %d/0", used, inflight, len(model))
			}
			all, _ := s.List(ctx)
			want := n
			if sameName {
				want = 1
			}
			if len(all) != want {
				t.Fatalf("%d records, want %d", len(all), want)
			}
		})
	}
}

// TestGCRacesImports runs GC while imports run: every committed record must
// keep its blob.
func TestGCRacesImports(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				if _, err := s.GC(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("m%d", i)
			if _, err := s.Import(ctx, bytes.NewReader(onnxModel(t, uint64(100+i), 2048)), ModelMeta{Name: name}); err != nil {
				t.Error(err)
			}
		})
	}
	for i := range 8 {
		wg.Go(func() {
			if _, err := s.Delete(ctx, fmt.Sprintf("m%d", i), 1); err != nil && !errors.Is(err, ErrNotFound) {
				t.Error(err)
			}
		})
	}
	for i := 8; i < 12; i++ {
		wg.Go(func() {
			name := fmt.Sprintf("keep%d", i)
			if _, err := s.Import(ctx, bytes.NewReader(onnxModel(t, uint64(100+i), 2048)), ModelMeta{Name: name}); err != nil {
				t.Error(err)
			}
		})
	}
	testutil.Eventually(t, "4 records named keep*", func() bool { recs, _ := s.List(ctx); return countPrefix(recs, "keep") == 4 })
	close(stop)
	wg.Wait()
	recs, _ := s.List(ctx)
	for _, r := range recs {
		if _, _, err := s.ModelFile(ctx, r.Name, Latest); err != nil {
			t.Errorf("%s lost its blob: %v", r.Ref(), err)
		}
	}
}

func countPrefix(recs []Record, prefix string) int {
	n := 0
	for _, r := range recs {
		if len(r.Name) >= len(prefix) && r.Name[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}
