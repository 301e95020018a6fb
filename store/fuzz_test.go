package store

import (
	"errors"
	"testing"
)

func FuzzDecodeRecord(f *testing.F) {
	enc, _ := encodeRecord(validRecord())
	f.Add(enc)
	f.Add([]byte{})
	f.Add([]byte{1, '{', '}'})
	f.Add([]byte{2, '{', '}'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes must be a valid record that survives a round trip.
		if err := r.validate(); err != nil {
			t.Fatalf("decoded an invalid record: %v", err)
		}
		again, err := encodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := decodeRecord(again)
		if err != nil || r2.Ref() != r.Ref() || r2.Digest != r.Digest {
			t.Fatalf("round trip: %+v vs %+v, %v", r, r2, err)
		}
	})
}

func FuzzDecodeArtifact(f *testing.F) {
	enc, _ := encodeArtifact(Artifact{Digest: Digest{1}, RuntimeKey: "ort/x", Paths: []string{"a"}})
	f.Add(enc)
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := decodeArtifact(b); err == nil {
			if err := ValidateRuntimeKey(a.RuntimeKey); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzParseTritonConfig(f *testing.F) {
	f.Add([]byte(resnetConfig))
	f.Add([]byte(`name: "m" input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] }`))
	f.Add([]byte(`backend: "onnxruntime"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseTritonConfig(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidTritonConfig) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		m, err := tritonMeta(cfg, cfg.GetName())
		if err != nil {
			return
		}
		if err := validateSignature(append(m.Inputs, m.Outputs...)); err != nil {
			t.Fatalf("mapped an invalid signature: %v", err)
		}
	})
}

func FuzzCheckONNX(f *testing.F) {
	model := onnxModel(f, 1, 8)
	f.Add(model)
	f.Add(model[:len(model)/2])
	f.Add([]byte{0x08, 0x08, 0x3a, 0x00})
	f.Add(externalModel(f, "../../blobs/sha256/x"))
	f.Add(wrapModel(appendMessage(nil, 1, appendMessage(nil, 5, appendMessage(nil, 6, appendMessage(nil, 5, externalTensor(f, true)))))))
	f.Fuzz(func(t *testing.T, b []byte) {
		whole := CheckONNX(b)
		// Feeding the same bytes in small pieces must give the same verdict.
		var c onnxCheck
		for i := 0; i < len(b); i += 3 {
			_, _ = c.Write(b[i:min(i+3, len(b))])
		}
		if (whole == nil) != (c.Err() == nil) {
			t.Fatalf("whole %v, pieces %v", whole, c.Err())
		}
		if whole != nil && !errors.Is(whole, ErrNotONNX) && !errors.Is(whole, ErrExternalData) {
			t.Fatalf("untyped error %v", whole)
		}
	})
}
