//go:build amd64

package tensorlib

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestFusedAsmKernels checks the assembly fused kernels directly, whether
// or not they are the ones in use.
func TestFusedAsmKernels(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("the CPU lacks AVX2/FMA")
	}
	checkFusedKernels(t, "assembly", asmFusedKernels)
}
