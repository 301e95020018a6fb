package ort

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
)

// residentSet is the process's resident memory in two tiers, from
// /proc/self/status: anonymous pages (heap, arenas: what the node cannot
// give back without closing a model) and file-backed pages (memory-mapped
// weights and code: the kernel drops and re-reads them as it needs).
type residentSet struct {
	anon, file int64
	// goHeld is the memory the Go runtime holds from the kernel (all of it
	// anonymous): request buffers and decoded models of other requests
	// running at the same time grow it, and the model's own growth leaves
	// it out.
	goHeld int64
}

// minus is the growth from before to r, each tier at least 0; the Go
// runtime's own growth is taken out of the anonymous tier.
func (r residentSet) minus(before residentSet) residentSet {
	goGrowth := max(r.goHeld-before.goHeld, 0)
	return residentSet{anon: max(r.anon-before.anon-goGrowth, 0), file: max(r.file-before.file, 0)}
}

// goHeldBytes is the memory the Go runtime has mapped and not returned to
// the kernel (runtime/metrics: all memory classes less released heap).
func goHeldBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// readResident reads the process's resident set. It counts every thread's
// allocations, so a model's memory measured as the difference across its
// load is only exact when nothing else loads, runs or frees at the same
// time. The Loader never measures two loads at once (Loader.measureMu);
// concurrent inference can still move it, which the cache smooths over
// several loads (placement/cache).
func readResident() (residentSet, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return residentSet{}, fmt.Errorf("ort: read status: %w", err)
	}
	r, err := parseStatus(b)
	r.goHeld = goHeldBytes()
	return r, err
}

// parseStatus reads RssAnon and RssFile (kB) from /proc/<pid>/status text.
func parseStatus(b []byte) (residentSet, error) {
	var r residentSet
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "RssAnon":
			dst = &r.anon
		case "RssFile":
			dst = &r.file
		default:
			continue
		}
		kb, err := parseKB(val)
		if err != nil {
			return residentSet{}, fmt.Errorf("ort: malformed status line %q: %w", sc.Bytes(), err)
		}
		*dst, seen = kb<<10, seen+1
	}
	if seen != 2 {
		return residentSet{}, fmt.Errorf("ort: status has no RssAnon and RssFile lines")
	}
	return r, nil
}

// parseKB parses "   1234 kB".
func parseKB(val []byte) (int64, error) {
	f := bytes.Fields(val)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("want \"N kB\"")
	}
	n, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || n < 0 || n > 1<<50 {
		return 0, fmt.Errorf("bad size %q", f[0])
	}
	return n, nil
}
