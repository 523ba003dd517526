//go:build amd64

package tensorlib

import "golang.org/x/sys/cpu"

// sgemmKernel6x16AVX2 is the float32 AVX2/FMA microkernel (gemm_amd64.s):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*16+j] for i < 6, j < n ≤ 16, p < k.
//
//go:noescape
func sgemmKernel6x16AVX2(k int, a *float32, rsa, csa int, b, c *float32, ldc, n int)

// dgemmKernel6x8AVX2 is the float64 AVX2/FMA microkernel (gemm_amd64.s):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*8+j] for i < 6, j < n ≤ 8, p < k.
//
//go:noescape
func dgemmKernel6x8AVX2(k int, a *float64, rsa, csa int, b, c *float64, ldc, n int)

func init() {
	// x/sys/cpu also checks that the OS saves the YMM registers.
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		hasGEMMAsm = true
		sgemmKernel = sgemmKernel6x16AVX2
		dgemmKernel = dgemmKernel6x8AVX2
	}
}
