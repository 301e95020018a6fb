package store

import "sync/atomic"

// Stats are the store's counters since Open, for the node to export as
// Prometheus metrics (the store itself depends on no metrics library).
type Stats struct {
	Imports        int64 // models imported or uploaded (records committed)
	ImportFailures int64 // imports, uploads and ingests that failed
	ImportedBytes  int64 // bytes streamed into new blobs
	Ingests        int64 // blobs received from peers
	VerifyFailures int64 // blobs that failed verification (and were quarantined)
	GCRemoved      int64 // blobs removed by GC
	GCFreedBytes   int64 // bytes GC freed
	UsedBytes      int64 // gauge: bytes in blobs now
	InFlightBytes  int64 // gauge: bytes reserved by writes in progress
	QuotaBytes     int64 // the configured quota (0 none)
}

// counters are updated atomically on the write, verify and GC paths.
type counters struct {
	imports, importFailures, importedBytes, ingests atomic.Int64
	verifyFailures, gcRemoved, gcFreedBytes         atomic.Int64
}

// Stats returns a snapshot of the counters and gauges.
func (s *Store) Stats() Stats {
	used, inflight := s.space.usage()
	c := &s.counters
	return Stats{
		Imports: c.imports.Load(), ImportFailures: c.importFailures.Load(),
		ImportedBytes: c.importedBytes.Load(), Ingests: c.ingests.Load(),
		VerifyFailures: c.verifyFailures.Load(), GCRemoved: c.gcRemoved.Load(),
		GCFreedBytes: c.gcFreedBytes.Load(), UsedBytes: used, InFlightBytes: inflight,
		QuotaBytes: s.cfg.QuotaBytes,
	}
}

// count records the outcome of a write of n bytes.
func (c *counters) count(err error, n int64) {
	if err != nil {
		c.importFailures.Add(1)
		return
	}
	c.importedBytes.Add(n)
}
