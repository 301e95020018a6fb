package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var errInjected = errors.New("injected fault")

// TestImportFaultAtEachStep fails the write path at each step in turn, as
// if the system call (or the process) died there, and checks that no
// partial blob and no dangling record exist, and that a restart reports and
// repairs what is left.
func TestImportFaultAtEachStep(t *testing.T) {
	ctx := context.Background()
	model := onnxModel(t, 8, 8192)
	steps := []Step{StepCreateTemp, StepWrite, StepSync, StepRename, StepSyncDir, StepCatalog}
	for _, step := range steps {
		t.Run(string(step), func(t *testing.T) {
			cfg := testConfig(t)
			faults := func(s Step) error {
				if s == step {
					return errInjected
				}
				return nil
			}
			s := openStore(t, cfg, Deps{Faults: faults})
			_, err := s.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m"})
			if !errors.Is(err, errInjected) {
				t.Fatalf("import: %v, want the injected fault", err)
			}
			assertNoPartialState(t, s, model)
			_ = s.Close()
			s2, rep, err := Open(ctx, cfg, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if len(rep.MissingBlobs) != 0 || len(rep.Quarantined) != 0 {
				t.Fatalf("restart report %+v", rep)
			}
			if _, err := s2.Import(ctx, bytes.NewReader(model), ModelMeta{Name: "m"}); err != nil {
				t.Fatalf("import after restart: %v", err)
			}
		})
	}
}

// assertNoPartialState: no record, no temp file, and any blob present is
// whole (a fault after the rename leaves a valid, unreferenced blob).
func assertNoPartialState(t *testing.T, s *Store, model []byte) {
	t.Helper()
	if recs, _ := s.List(context.Background()); len(recs) != 0 {
		t.Errorf("dangling records %v", recs)
	}
	if f := dirFiles(t, s, dirTmp); len(f) != 0 {
		t.Errorf("temp files left %v", f)
	}
	for _, name := range dirFiles(t, s, dirBlobs) {
		b, err := os.ReadFile(filepath.Join(s.Dir(), dirBlobs, name))
		if err != nil || !bytes.Equal(b, model) {
			t.Errorf("partial blob %s (%d bytes of %d)", name, len(b), len(model))
		}
	}
}

// TestCrashLeftovers simulates a process killed mid-write (a temp file and
// a stray file in blobs/) and a blob without a record; Open reports and
// cleans them, and GC removes the orphan.
func TestCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	s := openStore(t, cfg, Deps{})
	model := onnxModel(t, 9, 128)
	d, _, err := s.blobs.write(ctx, bytes.NewReader(model), writeSpec{maxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	write := func(rel string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(cfg.Dir, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dirTmp, "blob-1.partial"), model[:50])
	write(filepath.Join(dirBlobs, "not-a-digest"), []byte("x"))
	s2, rep, err := Open(ctx, cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(rep.TempFilesRemoved) != 1 || len(rep.Quarantined) != 1 || len(rep.OrphanBlobs) != 1 || rep.OrphanBlobs[0] != d || rep.Clean() {
		t.Fatalf("report %+v", rep)
	}
	if f := dirFiles(t, s2, dirTmp); len(f) != 0 {
		t.Fatalf("temp files after open: %v", f)
	}
	res, err := s2.GC(ctx)
	if err != nil || len(res.Removed) != 1 || res.FreedBytes != int64(len(model)) {
		t.Fatalf("gc %+v, %v", res, err)
	}
	_ = s2.Close()
	s3, rep, err := Open(ctx, cfg, Deps{})
	if err != nil || !rep.Clean() {
		t.Fatalf("second restart: %+v, %v", rep, err)
	}
	_ = s3.Close()
}
