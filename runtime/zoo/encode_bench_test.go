package zoo

import (
	"io"
	"testing"
)

// BenchmarkEncode measures generating a model's bytes without disk I/O;
// b.SetBytes makes `go test -bench` report MB/s.
func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"mobilenet_v1_0.25", "resnet50", "vgg16"} {
		b.Run(name, func(b *testing.B) {
			m, err := Encode(io.Discard, name, DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(m.FileBytes)
			b.ResetTimer()
			for range b.N {
				if _, err := Encode(io.Discard, name, DefaultOptions()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
