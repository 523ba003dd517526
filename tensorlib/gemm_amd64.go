//go:build amd64

package tensorlib

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run ./internal/gemmgen

// sgemmKernel6x16AVX2 is the float32 AVX2/FMA microkernel (gemm_amd64.s):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for i < m ≤ 6, j < n ≤ 16, p < k.
//
//go:noescape
func sgemmKernel6x16AVX2(k int, a *float32, rsa, csa int, b, c *float32, ldc, n, m, ldb int)

// dgemmKernel6x8AVX2 is the float64 AVX2/FMA microkernel (gemm_amd64.s):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for i < m ≤ 6, j < n ≤ 8, p < k.
//
//go:noescape
func dgemmKernel6x8AVX2(k int, a *float64, rsa, csa int, b, c *float64, ldc, n, m, ldb int)

// sgemmKernel12x32AVX512 is the float32 AVX-512 microkernel
// (gemm_avx512_amd64.s, generated):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for i < m ≤ 12, j < n ≤ 32, p < k.
//
//go:noescape
func sgemmKernel12x32AVX512(k int, a *float32, rsa, csa int, b, c *float32, ldc, n, m, ldb int)

// dgemmKernel12x16AVX512 is the float64 AVX-512 microkernel
// (gemm_avx512_amd64.s, generated):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for i < m ≤ 12, j < n ≤ 16, p < k.
//
//go:noescape
func dgemmKernel12x16AVX512(k int, a *float64, rsa, csa int, b, c *float64, ldc, n, m, ldb int)

// sgemmKernel12x16AVX512 is the narrow float32 AVX-512 microkernel
// (gemm_avx512_amd64.s, generated):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for i < m ≤ 12, j < n ≤ 16, p < k.
//
//go:noescape
func sgemmKernel12x16AVX512(k int, a *float32, rsa, csa int, b, c *float32, ldc, n, m, ldb int)

// dgemmKernel12x8AVX512 is the narrow float64 AVX-512 microkernel
// (gemm_avx512_amd64.s, generated):
// c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for i < m ≤ 12, j < n ≤ 8, p < k.
//
//go:noescape
func dgemmKernel12x8AVX512(k int, a *float64, rsa, csa int, b, c *float64, ldc, n, m, ldb int)

// The assembly kernels and their cache blocking. The AVX2 blocking is
// for Zen 3 (32 KiB L1d, 512 KiB L2): a KC×NR panel of B plus an MR×KC
// panel of A fill about two thirds of L1, an MC×KC block of A about a
// third of L2. The AVX-512 blocking is for Sapphire Rapids (48 KiB L1d,
// 2 MiB L2) and measured there: KC from 192 to 512 and MC from 96 to 384
// are all within a few percent of each other (B panels of KC×128 bytes
// stream well from L2); KC = 384 does fewer passes over C for the
// K = 784 of an MNIST layer.
var (
	sgemmAVX2 = gemmImpl[float32]{name: "avx2", kern: sgemmKernel6x16AVX2,
		bl: gemmBlocking{mr: 6, nr: 16, mc: 144, kc: 256}, copyRows: copyPanelRows}
	dgemmAVX2 = gemmImpl[float64]{name: "avx2", kern: dgemmKernel6x8AVX2,
		bl: gemmBlocking{mr: 6, nr: 8, mc: 72, kc: 256}, copyRows: copyPanelRows}
	sgemmAVX512 = gemmImpl[float32]{name: "avx512", kern: sgemmKernel12x32AVX512,
		bl:     gemmBlocking{mr: 12, nr: 32, mc: 144, kc: 384},
		gather: gatherPanel32, copyRows: copyPanelRows, inPlaceA: true, inPlaceB: true,
		transpose: transposePanel32,
		narrow: &gemmImpl[float32]{name: "avx512-narrow", kern: sgemmKernel12x16AVX512,
			bl:     gemmBlocking{mr: 12, nr: 16, mc: 144, kc: 384},
			gather: gatherPanel32, copyRows: copyPanelRows, inPlaceA: true, inPlaceB: true}}
	dgemmAVX512 = gemmImpl[float64]{name: "avx512", kern: dgemmKernel12x16AVX512,
		bl:     gemmBlocking{mr: 12, nr: 16, mc: 144, kc: 384},
		gather: gatherPanel64, copyRows: copyPanelRows, inPlaceA: true, inPlaceB: true,
		narrow: &gemmImpl[float64]{name: "avx512-narrow", kern: dgemmKernel12x8AVX512,
			bl:     gemmBlocking{mr: 12, nr: 8, mc: 144, kc: 384},
			gather: gatherPanel64, copyRows: copyPanelRows, inPlaceA: true, inPlaceB: true}}
)

func init() {
	// x/sys/cpu also checks that the OS saves the YMM (and for AVX-512 the
	// ZMM and mask) registers.
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		sgemmImpls = append([]gemmImpl[float32]{sgemmAVX2}, sgemmImpls...)
		dgemmImpls = append([]gemmImpl[float64]{dgemmAVX2}, dgemmImpls...)
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		sgemmImpls = append([]gemmImpl[float32]{sgemmAVX512}, sgemmImpls...)
		dgemmImpls = append([]gemmImpl[float64]{dgemmAVX512}, dgemmImpls...)
	}
	useGEMMImpls(sgemmImpls[0], dgemmImpls[0])
}

// gatherPanel32 packs a strided float32 panel with AVX-512 gathers
// (gemm_pack_amd64.s): dst[p*width+l] = src[p*step+l*stride] for p < k,
// l < lanes, zeros for lanes ≤ l < width ≤ 32.
//
//go:noescape
func gatherPanel32(dst, src *float32, k, step, stride, lanes, width int)

// gatherPanel64 is gatherPanel32 for float64, width ≤ 16.
//
//go:noescape
func gatherPanel64(dst, src *float64, k, step, stride, lanes, width int)

// copyPanelRows copies row p of consecutive panels of a row-major B with
// 32-byte AVX moves (gemm_pack_amd64.s): for q < panels, rowBytes bytes (a
// multiple of 32) from src+q·rowBytes to dst+q·pstride.
//
//go:noescape
func copyPanelRows(dst, src unsafe.Pointer, panels, rowBytes, pstride int)

// transposePanel32 packs 16·blocks rows of a full 32-wide panel of a
// column-major float32 B (gemm_pack_amd64.s): dst[p*32+j] = src[j*cs+p]
// for p < 16·blocks, j < 32.
//
//go:noescape
func transposePanel32(dst, src *float32, blocks, cs int)
