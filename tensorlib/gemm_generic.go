package tensorlib

import "unsafe"

// Portable microkernels with the same contract as the assembly ones. They
// run where the CPU lacks AVX2/FMA (and on other architectures), and the
// tests run them everywhere against a float64 reference.

// sgemmKernelGo is the pure-Go float32 6×16 microkernel.
func sgemmKernelGo(k int, a *float32, rsa, csa int, b, c *float32, ldc, n, m, ldb int) {
	gemmKernelGo(k, a, rsa, csa, b, c, ldc, n, m, ldb, 6, 16)
}

// dgemmKernelGo is the pure-Go float64 6×8 microkernel.
func dgemmKernelGo(k int, a *float64, rsa, csa int, b, c *float64, ldc, n, m, ldb int) {
	gemmKernelGo(k, a, rsa, csa, b, c, ldc, n, m, ldb, 6, 8)
}

// gemmKernelGo computes c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*ldb+j] for
// i < m ≤ mr, j < n ≤ nr (mr·nr ≤ 96, strides ≥ 0; A has mr rows and B
// nr columns).
func gemmKernelGo[T float](k int, a *T, rsa, csa int, b, c *T, ldc, n, m, ldb, mr, nr int) {
	var acc [96]T
	if k > 0 {
		as := unsafe.Slice(a, (mr-1)*rsa+(k-1)*csa+1)
		bs := unsafe.Slice(b, (k-1)*ldb+nr)
		for p := 0; p < k; p++ {
			bp := bs[p*ldb : p*ldb+nr]
			for i := 0; i < mr; i++ {
				av := as[i*rsa+p*csa]
				row := acc[i*nr : i*nr+nr]
				for j, bv := range bp {
					row[j] += av * bv
				}
			}
		}
	}
	cs := unsafe.Slice(c, (m-1)*ldc+n)
	for i := 0; i < m; i++ {
		row := cs[i*ldc : i*ldc+n]
		for j := range row {
			row[j] += acc[i*nr+j]
		}
	}
}
