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
