package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// Report is what start-up reconciliation of the catalog against the disk
// found. The node logs it.
type Report struct {
	Records   int   // catalog records
	Blobs     int   // blobs on disk
	BlobBytes int64 // their total size
	// OrphanBlobs are blobs no record references; the next GC removes
	// them (and their prepared forms).
	OrphanBlobs []Digest
	// MissingBlobs are records ("name:version") whose blob is absent or was
	// quarantined; the model must be fetched again (Ingest) before it loads.
	MissingBlobs []string
	// Quarantined are files moved to quarantine/ now: a blob whose size
	// differs from its record, or a file in blobs/ not named as a digest.
	Quarantined []string
	// TempFilesRemoved are partial writes left by a crash.
	TempFilesRemoved []string
	// UploadsRemoved are resumable uploads older than Config.UploadMaxAge.
	UploadsRemoved []string
}

// Fields renders the report for a structured log line.
func (r Report) Fields() []zap.Field {
	return []zap.Field{
		zap.Int("records", r.Records), zap.Int("blobs", r.Blobs), zap.Int64("blob_bytes", r.BlobBytes),
		zap.Stringers("orphan_blobs", r.OrphanBlobs), zap.Strings("missing_blobs", r.MissingBlobs),
		zap.Strings("quarantined", r.Quarantined), zap.Strings("temp_files_removed", r.TempFilesRemoved),
		zap.Strings("uploads_removed", r.UploadsRemoved),
	}
}

// Clean reports whether nothing needed attention.
func (r Report) Clean() bool {
	return len(r.OrphanBlobs)+len(r.MissingBlobs)+len(r.Quarantined)+len(r.TempFilesRemoved)+len(r.UploadsRemoved) == 0
}

// reconcile runs at Open, before any other call.
func (s *Store) reconcile(ctx context.Context) (Report, error) {
	var rep Report
	var err error
	if rep.TempFilesRemoved, err = removeOlder(filepath.Join(s.cfg.Dir, dirTmp), time.Time{}); err != nil {
		return rep, err
	}
	cutoff := s.deps.Now().Add(-s.cfg.UploadMaxAge)
	if rep.UploadsRemoved, err = removeOlder(filepath.Join(s.cfg.Dir, dirUploads), cutoff); err != nil {
		return rep, err
	}
	if err := s.reconcileBlobs(ctx, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// removeOlder removes the files in dir modified before cutoff (all of them
// for a zero cutoff) and returns their names.
func removeOlder(dir string, cutoff time.Time) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: reconcile: %w", err)
	}
	var removed []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || (!cutoff.IsZero() && fi.ModTime().After(cutoff)) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return removed, fmt.Errorf("store: reconcile: remove %s: %w", e.Name(), err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

func (s *Store) reconcileBlobs(ctx context.Context, rep *Report) error {
	present, err := s.scanBlobs(rep)
	if err != nil {
		return err
	}
	recs, err := s.cat.list()
	if err != nil {
		return fmt.Errorf("store: reconcile: %w", err)
	}
	rep.Records = len(recs)
	for _, r := range recs {
		size, ok := present[r.Digest]
		if ok && size != r.SizeBytes {
			_ = s.blobs.quarantineBlob(r.Digest, fmt.Sprintf("size %d, record says %d", size, r.SizeBytes))
			rep.Quarantined = append(rep.Quarantined, r.Digest.Hex())
			delete(present, r.Digest)
			ok = false
		}
		if !ok {
			rep.MissingBlobs = append(rep.MissingBlobs, r.Ref())
		}
	}
	return s.findOrphans(ctx, present, rep)
}

// scanBlobs lists blobs/, accounts their bytes, and quarantines files that
// are not named as a digest.
func (s *Store) scanBlobs(rep *Report) (map[Digest]int64, error) {
	present, stray, err := s.readBlobDir()
	if err != nil {
		return nil, err
	}
	for _, name := range stray {
		dst := filepath.Join(s.blobs.quarantine, name)
		if err := os.Rename(filepath.Join(s.blobs.dir, name), dst); err != nil {
			return nil, fmt.Errorf("store: reconcile: quarantine %s: %w", name, err)
		}
		rep.Quarantined = append(rep.Quarantined, name)
	}
	for _, n := range present {
		rep.Blobs++
		rep.BlobBytes += n
	}
	s.space.settle(0, rep.BlobBytes)
	return present, nil
}

func (s *Store) findOrphans(_ context.Context, present map[Digest]int64, rep *Report) error {
	refs, err := s.cat.referenced()
	if err != nil {
		return fmt.Errorf("store: reconcile: %w", err)
	}
	for d := range present {
		if !refs[d] {
			rep.OrphanBlobs = append(rep.OrphanBlobs, d)
			s.release(d) // left by an earlier run: nothing here will record it
		}
	}
	return nil
}

// listBlobs returns the blobs on disk and their sizes.
func (s *Store) listBlobs() (map[Digest]int64, error) {
	present, _, err := s.readBlobDir()
	return present, err
}

func (s *Store) readBlobDir() (map[Digest]int64, []string, error) {
	entries, err := os.ReadDir(s.blobs.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("store: list blobs: %w", err)
	}
	present := map[Digest]int64{}
	var stray []string
	for _, e := range entries {
		d, err := ParseDigest(e.Name())
		fi, ierr := e.Info()
		if err != nil || ierr != nil || !fi.Mode().IsRegular() {
			stray = append(stray, e.Name())
			continue
		}
		present[d] = fi.Size()
	}
	return present, stray, nil
}
