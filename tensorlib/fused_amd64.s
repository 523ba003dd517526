//go:build amd64

#include "textflag.h"

// Float32 kernels of the fused in-place ops (fused.go). n is a multiple of
// 8 and d is read and written in place. The multiply-adds run in double
// precision: a float32 product is exact there, so one rounding of the sum
// to float32 is the whole error, as in the pure-Go kernels.

// func addScaledF32AVX(d, b *float32, alpha float64, n int)
// d = float32(float64(d) + float64(b)·alpha)
TEXT ·addScaledF32AVX(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ b+8(FP), SI
	VBROADCASTSD alpha+16(FP), Y15
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   asdone
asloop:
	VCVTPS2PD (DI), Y0
	VCVTPS2PD 16(DI), Y1
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VFMADD231PD Y15, Y2, Y0
	VFMADD231PD Y15, Y3, Y1
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VMOVUPS X0, (DI)
	VMOVUPS X1, 16(DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  asloop
asdone:
	VZEROUPPER
	RET

// func addcmulF32AVX(d, b, c *float32, v float32, n int)
// d = float32(float64(d) + float64(float32(b·v))·float64(c))
TEXT ·addcmulF32AVX(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ c+16(FP), DX
	VBROADCASTSS v+24(FP), Y15
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JZ   acdone
acloop:
	VMULPS (SI), Y15, Y4
	VEXTRACTF128 $1, Y4, X5
	VCVTPS2PD X4, Y2
	VCVTPS2PD X5, Y3
	VCVTPS2PD (DX), Y6
	VCVTPS2PD 16(DX), Y7
	VCVTPS2PD (DI), Y0
	VCVTPS2PD 16(DI), Y1
	VFMADD231PD Y6, Y2, Y0
	VFMADD231PD Y7, Y3, Y1
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VMOVUPS X0, (DI)
	VMOVUPS X1, 16(DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  acloop
acdone:
	VZEROUPPER
	RET

// func addcdivF32AVX(d, b, c *float32, v float32, n int)
// d = d + float32(b·v)/c, each operation rounded to float32
TEXT ·addcdivF32AVX(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ c+16(FP), DX
	VBROADCASTSS v+24(FP), Y15
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JZ   addone
adloop:
	VMULPS (SI), Y15, Y0
	VDIVPS (DX), Y0, Y0
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  adloop
addone:
	VZEROUPPER
	RET

// func adamF32AVX(p, grad, m, v *float32, n int, c *adamConsts)
// One Adam update of 8 elements per iteration (adamGo without AMSGrad or
// coupled weight decay). c's float32 fields, at byte offsets: decay 0,
// sign 4, beta1 8, beta2 12, omb2 16, bc2s 20, eps 24, nss 28; omb1
// (float64) 32.
TEXT ·adamF32AVX(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R8
	VBROADCASTSS 0(R8), Y15  // decay
	VBROADCASTSS 4(R8), Y14  // sign
	VBROADCASTSS 8(R8), Y13  // beta1
	VBROADCASTSD 32(R8), Y12 // omb1 (double)
	VBROADCASTSS 12(R8), Y11 // beta2
	VBROADCASTSS 16(R8), Y10 // omb2
	VBROADCASTSS 20(R8), Y9  // bc2s
	VBROADCASTSS 24(R8), Y8  // eps
	VBROADCASTSS 28(R8), Y7  // nss
	TESTQ CX, CX
	JZ   adamdone
adamloop:
	VMULPS (DI), Y15, Y0         // p·decay
	VXORPS (SI), Y14, Y1         // g, negated to maximize
	VEXTRACTF128 $1, Y1, X5
	VCVTPS2PD X1, Y4             // g low half, double
	VCVTPS2PD X5, Y5             // g high half, double

	// m = float32(m·β1 + g·(1-β1)), the sum rounded once
	VMULPS (DX), Y13, Y2
	VEXTRACTF128 $1, Y2, X3
	VCVTPS2PD X2, Y2
	VCVTPS2PD X3, Y3
	VFMADD231PD Y12, Y4, Y2
	VFMADD231PD Y12, Y5, Y3
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VINSERTF128 $1, X3, Y2, Y2
	VMOVUPS Y2, (DX)

	// v = float32(v·β2 + float32(g·(1-β2))·g), the sum rounded once
	VMULPS Y10, Y1, Y6
	VEXTRACTF128 $1, Y6, X3
	VCVTPS2PD X6, Y6
	VCVTPS2PD X3, Y3
	VMULPD Y4, Y6, Y6            // exact products
	VMULPD Y5, Y3, Y3
	VMULPS (BX), Y11, Y1
	VEXTRACTF128 $1, Y1, X4
	VCVTPS2PD X1, Y1
	VCVTPS2PD X4, Y4
	VADDPD Y6, Y1, Y1
	VADDPD Y3, Y4, Y4
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y4, X4
	VINSERTF128 $1, X4, Y1, Y1
	VMOVUPS Y1, (BX)

	// p = p + (m·nss)/((sqrt(v)/bc2s) + eps)
	VSQRTPS Y1, Y3
	VDIVPS Y9, Y3, Y3
	VADDPS Y8, Y3, Y3
	VMULPS Y7, Y2, Y4
	VDIVPS Y3, Y4, Y4
	VADDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)

	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, BX
	SUBQ $8, CX
	JNZ  adamloop
adamdone:
	VZEROUPPER
	RET
