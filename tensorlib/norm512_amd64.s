#include "textflag.h"

// AVX-512 versions of the kernels of norm_amd64.s (see norm_f32.go for the
// contracts): eight elements at a time, widened to a ZMM register of
// float64, with the same operations in the same order, so the same bits as
// the AVX2 and Go kernels.

// AFF512 computes ((x − m)·s)·w of the 8 elements at off (x in SI; their
// float64 w at 2·off in DX) into z; m, s in Z8, Z9.
#define AFF512(off, z) \
	VCVTPS2PD off(SI), z \
	VSUBPD Z8, z, z \
	VMULPD Z9, z, z \
	VMULPD (2*off)(DX), z, z

// func normAffineAVX512(dst, x *float32, w, b *float64, n int, m, s float64), n a multiple of 8, b may be nil
TEXT ·normAffineAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ b+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSD m+40(FP), Z8
	VBROADCASTSD s+48(FP), Z9
	SHRQ $3, CX
	JZ   affdone
	TESTQ BX, BX
	JZ   affnob
	TESTQ $1, CX
	JZ   affpairs
	AFF512(0, Z0)
	VADDPD (BX), Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $64, DX
	ADDQ $64, BX
	ADDQ $32, DI
affpairs:
	SHRQ $1, CX
	JZ   affdone
affloop:
	AFF512(0, Z0)
	AFF512(32, Z1)
	VADDPD (BX), Z0, Z0
	VADDPD 64(BX), Z1, Z1
	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $128, DX
	ADDQ $128, BX
	ADDQ $64, DI
	DECQ CX
	JNZ  affloop
	JMP  affdone
affnob:
	TESTQ $1, CX
	JZ   affnobpairs
	AFF512(0, Z0)
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $64, DX
	ADDQ $32, DI
affnobpairs:
	SHRQ $1, CX
	JZ   affdone
affnobloop:
	AFF512(0, Z0)
	AFF512(32, Z1)
	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $128, DX
	ADDQ $64, DI
	DECQ CX
	JNZ  affnobloop
affdone:
	VZEROUPPER
	RET

// SS512 stores float32(((x − m)·s)·w + b) of the 8 floats at off(SI) to
// off(DI); m, s, w, b in Z8..Z11.
#define SS512(off, z, y) \
	VCVTPS2PD off(SI), z \
	VSUBPD Z8, z, z \
	VMULPD Z9, z, z \
	VMULPD Z10, z, z \
	VADDPD Z11, z, z \
	VCVTPD2PS z, y \
	VMOVUPS y, off(DI)

// func normScaleShiftAVX512(dst, x *float32, n int, m, s, w, b float64), n a multiple of 8
TEXT ·normScaleShiftAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD m+24(FP), Z8
	VBROADCASTSD s+32(FP), Z9
	VBROADCASTSD w+40(FP), Z10
	VBROADCASTSD b+48(FP), Z11
	SHRQ $3, CX
	JZ   ssdone
	TESTQ $1, CX
	JZ   sspairs
	SS512(0, Z0, Y0)
	ADDQ $32, SI
	ADDQ $32, DI
sspairs:
	SHRQ $1, CX
	JZ   ssdone
ssloop:
	SS512(0, Z0, Y0)
	SS512(32, Z1, Y1)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  ssloop
ssdone:
	VZEROUPPER
	RET

// func lnDxAVX512(dx, x, gr *float32, w, accW, accB *float64, n int, m, s, mgw, mgwx float64), n a multiple of 8
TEXT ·lnDxAVX512(SB), NOSPLIT, $0-88
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gr+16(FP), BX
	MOVQ w+24(FP), DX
	MOVQ accW+32(FP), R8
	MOVQ accB+40(FP), R9
	MOVQ n+48(FP), CX
	VBROADCASTSD m+56(FP), Z8
	VBROADCASTSD s+64(FP), Z9
	VBROADCASTSD mgw+72(FP), Z10
	VBROADCASTSD mgwx+80(FP), Z11
	SHRQ $3, CX
	JZ   lndxdone
lndxloop:
	VCVTPS2PD (SI), Z0 // x̂ = (x − m)·s
	VSUBPD Z8, Z0, Z0
	VMULPD Z9, Z0, Z0
	VCVTPS2PD (BX), Z1 // g
	VMULPD (DX), Z1, Z2 // s·((g·w − mgw) − x̂·mgwx)
	VSUBPD Z10, Z2, Z2
	VMULPD Z11, Z0, Z3
	VSUBPD Z3, Z2, Z2
	VMULPD Z2, Z9, Z2
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (DI)
	VMULPD Z0, Z1, Z3 // accW += g·x̂
	VADDPD (R8), Z3, Z3
	VMOVUPD Z3, (R8)
	VADDPD (R9), Z1, Z1 // accB += g
	VMOVUPD Z1, (R9)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $64, DX
	ADDQ $32, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ  lndxloop
lndxdone:
	VZEROUPPER
	RET

// func bnDxAVX512(dx, x, gr *float32, n int, m, sc, k, is, wc float64), n a multiple of 8
TEXT ·bnDxAVX512(SB), NOSPLIT, $0-72
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gr+16(FP), BX
	MOVQ n+24(FP), CX
	VBROADCASTSD m+32(FP), Z8
	VBROADCASTSD sc+40(FP), Z9
	VBROADCASTSD k+48(FP), Z10
	VBROADCASTSD is+56(FP), Z11
	VBROADCASTSD wc+64(FP), Z12
	SHRQ $3, CX
	JZ   bndxdone
bndxloop:
	VCVTPS2PD (BX), Z0
	VSUBPD Z9, Z0, Z0
	VCVTPS2PD (SI), Z1
	VSUBPD Z8, Z1, Z1
	VMULPD Z10, Z1, Z1
	VSUBPD Z1, Z0, Z0
	VMULPD Z11, Z0, Z0
	VMULPD Z12, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	DECQ CX
	JNZ  bndxloop
bndxdone:
	VZEROUPPER
	RET

// The 16-lane sums: lanes 0–7 of an accumulator in one ZMM register, 8–15
// in another, elements 0–7 of each block of 16 going to the first. Only
// bnSums gains from AVX-512; sum, sqDev, sqDev32 and lnSums, bound by the
// latency of their additions or by conversions, ran no faster than AVX2.

// BNSUMS512 adds g and g·(x − m) of the 8 elements at off (x in SI, g in
// BX) to aS and aD; m in Z8.
#define BNSUMS512(off, tg, tx, aS, aD) \
	VCVTPS2PD off(BX), tg \
	VADDPD tg, aS, aS \
	VCVTPS2PD off(SI), tx \
	VSUBPD Z8, tx, tx \
	VMULPD tx, tg, tg \
	VADDPD tg, aD, aD

// func bnSumsAVX512(aS, aD *[16]float64, x, gr *float32, n int, m float64), n a multiple of 16
TEXT ·bnSumsAVX512(SB), NOSPLIT, $0-48
	MOVQ aS+0(FP), DI
	MOVQ aD+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ gr+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSD m+40(FP), Z8
	VMOVUPD (DI), Z0
	VMOVUPD 64(DI), Z1
	VMOVUPD (R8), Z2
	VMOVUPD 64(R8), Z3
	SHRQ $4, CX
	JZ   bnsdone
bnsloop:
	BNSUMS512(0, Z10, Z11, Z0, Z2)
	BNSUMS512(32, Z12, Z13, Z1, Z3)
	ADDQ $64, SI
	ADDQ $64, BX
	DECQ CX
	JNZ  bnsloop
bnsdone:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, (R8)
	VMOVUPD Z3, 64(R8)
	VZEROUPPER
	RET
