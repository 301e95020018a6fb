// Package store is the durable part of an EdgeServe node: the models it
// keeps on local disk.
//
// A data directory holds
//
//	catalog.db            bbolt: one record per model version, per-node artifacts
//	blobs/sha256/<hex>    model bytes, content-addressed by their sha256
//	tmp/                  blobs being written (removed at start-up)
//	uploads/              resumable uploads in progress
//	quarantine/           blobs that failed verification, kept for inspection
//	artifacts/<hex>/<key> directories the runtime fills with derived forms
//
// A blob is written to tmp/, hashed while it streams, checked against the
// expected digest and size, fsynced, renamed into blobs/ and the directory
// fsynced, so a crash at any point leaves either no blob or a whole one. The
// catalog record is committed only after the blob is durable, so a record
// never points at bytes that were not written; the reverse (a blob without a
// record) is harmless and collected by GC. Blobs are verified again before a
// model is loaded for the first time in this process and when a peer sends
// one; a blob that fails is moved to quarantine/ and never served.
//
// Space is checked before and while streaming against a byte quota and the
// file system's free space less a reserve, so an import fails with
// ErrQuotaExceeded or ErrDiskFull before the disk fills up.
package store
