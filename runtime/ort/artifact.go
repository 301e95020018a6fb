package ort

import (
	goruntime "runtime"
	"strings"

	"golang.org/x/sys/cpu"
)

// ArtifactKey names what a prepared form depends on besides the model: the
// ONNX Runtime version (graph optimisations and the saved format change
// between versions), the CPU's architecture and vector extensions (the
// fully optimised graph uses kernels and weight layouts chosen for them)
// and the version of the prepared form's file layout, for example
// "ort-1.30.0/amd64-avx-avx2-avx512f-fma/p3". A store keys prepared forms
// by model digest plus this key.
func (l *Loader) ArtifactKey() string {
	return "ort-" + Version() + "/" + cpuKey() + "/" + preparedLayout
}

// preparedLayout versions how Prepare lays the prepared form out, so that
// forms written by an older layout are not reused: p3 adds the ORT format
// form (ortformat.go); p2 kept ONNX Runtime's own weights file where it is
// mapped as it is (layout.go); forms under the key without it always had
// the 64 KiB rewrite.
const preparedLayout = "p3"

// cpuKey is the architecture and the CPU features that change ONNX
// Runtime's kernel choice.
func cpuKey() string {
	parts := []string{goruntime.GOARCH}
	for _, f := range cpuFeatures() {
		if f.on {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, "-")
}

type cpuFeature struct {
	name string
	on   bool
}

// cpuFeatures lists the features of both architectures ONNX Runtime has
// optimised kernels for; the other architecture's are all false.
func cpuFeatures() []cpuFeature {
	return []cpuFeature{
		{"sse41", cpu.X86.HasSSE41},
		{"avx", cpu.X86.HasAVX},
		{"avx2", cpu.X86.HasAVX2},
		{"fma", cpu.X86.HasFMA},
		{"avx512f", cpu.X86.HasAVX512F},
		{"avx512bw", cpu.X86.HasAVX512BW},
		{"avx512vl", cpu.X86.HasAVX512VL},
		{"avx512vnni", cpu.X86.HasAVX512VNNI},
		{"avx512bf16", cpu.X86.HasAVX512BF16},
		{"avxvnni", cpu.X86.HasAVXVNNI},
		{"amx", cpu.X86.HasAMXTile},
		{"asimd", cpu.ARM64.HasASIMD},
		{"asimddp", cpu.ARM64.HasASIMDDP},
		{"fphp", cpu.ARM64.HasFPHP},
		{"i8mm", cpu.ARM64.HasI8MM},
		{"sve", cpu.ARM64.HasSVE},
	}
}
