package ort

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeserve/edgeserve/runtime/zoo"
)

// The fast form maps its weights from the prepared file: the model is
// charged its anonymous memory only, well below its resident growth, and
// the mapped weights are reported apart.
func TestFastFormChargedAnonymousMemory(t *testing.T) {
	dir := t.TempDir()
	if _, err := zoo.Write(dir, "mobilenet_v1_1.0", zoo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mobilenet_v1_1.0.onnx")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	p := mustLoad(t, newTestLoader(t, true), path).Profile()
	t.Logf("file %d bytes: anonymous %d, mapped %d", fi.Size(), p.AnonymousBytes, p.MappedBytes)
	if !p.Prepared {
		t.Fatal("not loaded from the prepared form")
	}
	if p.MemoryBytes != p.AnonymousBytes {
		t.Errorf("MemoryBytes %d, want the anonymous %d", p.MemoryBytes, p.AnonymousBytes)
	}
	if p.MappedBytes < fi.Size()/2 {
		t.Errorf("mapped %d bytes, want at least half the %d-byte weights", p.MappedBytes, fi.Size())
	}
	if grown := p.AnonymousBytes + p.MappedBytes; p.MemoryBytes*2 > grown {
		t.Errorf("charged %d bytes, want well below the %d bytes of resident growth", p.MemoryBytes, grown)
	}
}

func TestParseStatus(t *testing.T) {
	good := "Name:\tx\nRssAnon:\t    1024 kB\nRssFile:\t  2 kB\nRssShmem:\t0 kB\n"
	r, err := parseStatus([]byte(good))
	if err != nil || r != (residentSet{anon: 1024 << 10, file: 2 << 10}) {
		t.Fatalf("parseStatus = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "RssAnon: 1 kB\n", "RssAnon: x kB\nRssFile: 1 kB\n", "RssAnon: 1 MB\nRssFile: 1 kB\n", "RssAnon: -1 kB\nRssFile: 1 kB\n"} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("parseStatus(%q) accepted", bad)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("RssAnon:\t1 kB\nRssFile:\t2 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseStatus(b)
		if err == nil && (r.anon < 0 || r.file < 0) {
			t.Fatalf("negative sizes %+v", r)
		}
	})
}
