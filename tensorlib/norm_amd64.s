#include "textflag.h"

// AVX2 kernels of normKernels (see norm_f32.go for the contracts and
// norm_amd64.go for the declarations). Float32 data is widened with
// VCVTPS2PD, four elements to a YMM register, and everything is computed in
// float64 with separately rounded multiplies and adds (no FMA), in the same
// order as the Go kernels, so the results are the same bits. Sum kernels
// keep lanes 0–3, 4–7, 8–11 and 12–15 of a 16-lane accumulator in four
// registers and load and store the accumulator around the loop.

// LOADACC loads the 16 lanes at (R) into y0..y3; STOREACC stores them.
#define LOADACC(R, y0, y1, y2, y3) \
	VMOVUPD (R), y0 \
	VMOVUPD 32(R), y1 \
	VMOVUPD 64(R), y2 \
	VMOVUPD 96(R), y3

#define STOREACC(R, y0, y1, y2, y3) \
	VMOVUPD y0, (R) \
	VMOVUPD y1, 32(R) \
	VMOVUPD y2, 64(R) \
	VMOVUPD y3, 96(R)

// func normSumAVX2(acc *[16]float64, x *float32, n int), n a multiple of 16
TEXT ·normSumAVX2(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LOADACC(DI, Y0, Y1, Y2, Y3)
	SHRQ $4, CX
	JZ   sumdone
sumloop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, SI
	DECQ CX
	JNZ  sumloop
sumdone:
	STOREACC(DI, Y0, Y1, Y2, Y3)
	VZEROUPPER
	RET

// SQDEV adds (x − m)² of the 4 floats at off(SI) to acc; m in Y8.
#define SQDEV(off, t, acc) \
	VCVTPS2PD off(SI), t \
	VSUBPD Y8, t, t \
	VMULPD t, t, t \
	VADDPD t, acc, acc

// func normSqDevAVX2(acc *[16]float64, x *float32, n int, m float64), n a multiple of 16
TEXT ·normSqDevAVX2(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD m+24(FP), Y8
	LOADACC(DI, Y0, Y1, Y2, Y3)
	SHRQ $4, CX
	JZ   sqdone
sqloop:
	SQDEV(0, Y4, Y0)
	SQDEV(16, Y5, Y1)
	SQDEV(32, Y6, Y2)
	SQDEV(48, Y7, Y3)
	ADDQ $64, SI
	DECQ CX
	JNZ  sqloop
sqdone:
	STOREACC(DI, Y0, Y1, Y2, Y3)
	VZEROUPPER
	RET

// SQDEV32 adds float64((x − m)²), computed in float32, of the 4 floats at
// off(SI) to acc; m in X8.
#define SQDEV32(off, t, xt, acc) \
	VMOVUPS off(SI), xt \
	VSUBPS X8, xt, xt \
	VMULPS xt, xt, xt \
	VCVTPS2PD xt, t \
	VADDPD t, acc, acc

// func normSqDev32AVX2(acc *[16]float64, x *float32, n int, m float32), n a multiple of 16
TEXT ·normSqDev32AVX2(SB), NOSPLIT, $0-28
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), X8
	LOADACC(DI, Y0, Y1, Y2, Y3)
	SHRQ $4, CX
	JZ   sq32done
sq32loop:
	SQDEV32(0, Y4, X4, Y0)
	SQDEV32(16, Y5, X5, Y1)
	SQDEV32(32, Y6, X6, Y2)
	SQDEV32(48, Y7, X7, Y3)
	ADDQ $64, SI
	DECQ CX
	JNZ  sq32loop
sq32done:
	STOREACC(DI, Y0, Y1, Y2, Y3)
	VZEROUPPER
	RET

// AFFINE computes ((x − m)·s)·w of the 4 elements at off (x in SI; their
// float64 w at off2 in DX) into t; m, s in Y8, Y9.
#define AFFINE(off, off2, t) \
	VCVTPS2PD off(SI), t \
	VSUBPD Y8, t, t \
	VMULPD Y9, t, t \
	VMULPD off2(DX), t, t

// func normAffineAVX2(dst, x *float32, w, b *float64, n int, m, s float64), n a multiple of 8, b may be nil
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ b+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSD m+40(FP), Y8
	VBROADCASTSD s+48(FP), Y9
	SHRQ $3, CX
	JZ   affdone
	TESTQ BX, BX
	JZ   affnob
affloop:
	AFFINE(0, 0, Y0)
	AFFINE(16, 32, Y2)
	VADDPD (BX), Y0, Y0
	VADDPD 32(BX), Y2, Y2
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y2, X2
	VMOVUPS X0, (DI)
	VMOVUPS X2, 16(DI)
	ADDQ $32, SI
	ADDQ $64, DX
	ADDQ $64, BX
	ADDQ $32, DI
	DECQ CX
	JNZ  affloop
	JMP  affdone
affnob:
	AFFINE(0, 0, Y0)
	AFFINE(16, 32, Y2)
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y2, X2
	VMOVUPS X0, (DI)
	VMOVUPS X2, 16(DI)
	ADDQ $32, SI
	ADDQ $64, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  affnob
affdone:
	VZEROUPPER
	RET

// SCALESHIFT stores float32(((x − m)·s)·w + b) of the 4 floats at off(SI)
// to off(DI); m, s, w, b in Y8..Y11.
#define SCALESHIFT(off, t) \
	VCVTPS2PD off(SI), t \
	VSUBPD Y8, t, t \
	VMULPD Y9, t, t \
	VMULPD Y10, t, t \
	VADDPD Y11, t, t \
	VCVTPD2PSY t, X0 \
	VMOVUPS X0, off(DI)

// func normScaleShiftAVX2(dst, x *float32, n int, m, s, w, b float64), n a multiple of 8
TEXT ·normScaleShiftAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD m+24(FP), Y8
	VBROADCASTSD s+32(FP), Y9
	VBROADCASTSD w+40(FP), Y10
	VBROADCASTSD b+48(FP), Y11
	SHRQ $3, CX
	JZ   ssdone
ssloop:
	SCALESHIFT(0, Y1)
	SCALESHIFT(16, Y2)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  ssloop
ssdone:
	VZEROUPPER
	RET

// LNSUMS adds g·w and g·w·((x − m)·s) of the 4 elements at off (x in SI, g
// in BX; their float64 w at 2·off in DX) to a1 and a2; m, s in Y8, Y9.
#define LNSUMS(off, tg, tx, a1, a2) \
	VCVTPS2PD off(BX), tg \
	VMULPD (2*off)(DX), tg, tg \
	VADDPD tg, a1, a1 \
	VCVTPS2PD off(SI), tx \
	VSUBPD Y8, tx, tx \
	VMULPD Y9, tx, tx \
	VMULPD tx, tg, tg \
	VADDPD tg, a2, a2

// func lnSumsAVX2(a1, a2 *[16]float64, x, gr *float32, w *float64, n int, m, s float64), n a multiple of 16
TEXT ·lnSumsAVX2(SB), NOSPLIT, $0-64
	MOVQ a1+0(FP), DI
	MOVQ a2+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ gr+24(FP), BX
	MOVQ w+32(FP), DX
	MOVQ n+40(FP), CX
	VBROADCASTSD m+48(FP), Y8
	VBROADCASTSD s+56(FP), Y9
	LOADACC(DI, Y0, Y1, Y2, Y3)
	LOADACC(R8, Y4, Y5, Y6, Y7)
	SHRQ $4, CX
	JZ   lnsdone
lnsloop:
	LNSUMS(0, Y10, Y11, Y0, Y4)
	LNSUMS(16, Y12, Y13, Y1, Y5)
	LNSUMS(32, Y14, Y15, Y2, Y6)
	LNSUMS(48, Y10, Y11, Y3, Y7)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $128, DX
	DECQ CX
	JNZ  lnsloop
lnsdone:
	STOREACC(DI, Y0, Y1, Y2, Y3)
	STOREACC(R8, Y4, Y5, Y6, Y7)
	VZEROUPPER
	RET

// LNDX handles the 4 elements at off (x in SI, g in BX, dx in DI; their
// float64 w, accW, accB at off2 in DX, R8, R9): x̂ = (x − m)·s, dx =
// float32(s·((g·w − mgw) − x̂·mgwx)), accW += g·x̂, accB += g; m, s, mgw,
// mgwx in Y8..Y11.
#define LNDX(off, off2, a, b, c, xc, d) \
	VCVTPS2PD off(SI), a \
	VSUBPD Y8, a, a \
	VMULPD Y9, a, a \
	VCVTPS2PD off(BX), b \
	VMULPD off2(DX), b, c \
	VSUBPD Y10, c, c \
	VMULPD Y11, a, d \
	VSUBPD d, c, c \
	VMULPD c, Y9, c \
	VCVTPD2PSY c, xc \
	VMOVUPS xc, off(DI) \
	VMULPD a, b, d \
	VADDPD off2(R8), d, d \
	VMOVUPD d, off2(R8) \
	VADDPD off2(R9), b, b \
	VMOVUPD b, off2(R9)

// func lnDxAVX2(dx, x, gr *float32, w, accW, accB *float64, n int, m, s, mgw, mgwx float64), n a multiple of 8
TEXT ·lnDxAVX2(SB), NOSPLIT, $0-88
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gr+16(FP), BX
	MOVQ w+24(FP), DX
	MOVQ accW+32(FP), R8
	MOVQ accB+40(FP), R9
	MOVQ n+48(FP), CX
	VBROADCASTSD m+56(FP), Y8
	VBROADCASTSD s+64(FP), Y9
	VBROADCASTSD mgw+72(FP), Y10
	VBROADCASTSD mgwx+80(FP), Y11
	SHRQ $3, CX
	JZ   lndxdone
lndxloop:
	LNDX(0, 0, Y0, Y1, Y2, X2, Y3)
	LNDX(16, 32, Y4, Y5, Y6, X6, Y7)
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

// BNSUMS adds g and g·(x − m) of the 4 elements at off (x in SI, g in BX)
// to aS and aD; m in Y8.
#define BNSUMS(off, tg, tx, aS, aD) \
	VCVTPS2PD off(BX), tg \
	VADDPD tg, aS, aS \
	VCVTPS2PD off(SI), tx \
	VSUBPD Y8, tx, tx \
	VMULPD tx, tg, tg \
	VADDPD tg, aD, aD

// func bnSumsAVX2(aS, aD *[16]float64, x, gr *float32, n int, m float64), n a multiple of 16
TEXT ·bnSumsAVX2(SB), NOSPLIT, $0-48
	MOVQ aS+0(FP), DI
	MOVQ aD+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ gr+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSD m+40(FP), Y8
	LOADACC(DI, Y0, Y1, Y2, Y3)
	LOADACC(R8, Y4, Y5, Y6, Y7)
	SHRQ $4, CX
	JZ   bnsdone
bnsloop:
	BNSUMS(0, Y10, Y11, Y0, Y4)
	BNSUMS(16, Y12, Y13, Y1, Y5)
	BNSUMS(32, Y14, Y15, Y2, Y6)
	BNSUMS(48, Y10, Y11, Y3, Y7)
	ADDQ $64, SI
	ADDQ $64, BX
	DECQ CX
	JNZ  bnsloop
bnsdone:
	STOREACC(DI, Y0, Y1, Y2, Y3)
	STOREACC(R8, Y4, Y5, Y6, Y7)
	VZEROUPPER
	RET

// BNDX stores float32(((g − sc) − (x − m)·k)·is·wc) of the 4 elements at
// off (x in SI, g in BX, dx in DI); m, sc, k, is, wc in Y8..Y12.
#define BNDX(off, a, b, xa) \
	VCVTPS2PD off(BX), a \
	VSUBPD Y9, a, a \
	VCVTPS2PD off(SI), b \
	VSUBPD Y8, b, b \
	VMULPD Y10, b, b \
	VSUBPD b, a, a \
	VMULPD Y11, a, a \
	VMULPD Y12, a, a \
	VCVTPD2PSY a, xa \
	VMOVUPS xa, off(DI)

// func bnDxAVX2(dx, x, gr *float32, n int, m, sc, k, is, wc float64), n a multiple of 8
TEXT ·bnDxAVX2(SB), NOSPLIT, $0-72
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gr+16(FP), BX
	MOVQ n+24(FP), CX
	VBROADCASTSD m+32(FP), Y8
	VBROADCASTSD sc+40(FP), Y9
	VBROADCASTSD k+48(FP), Y10
	VBROADCASTSD is+56(FP), Y11
	VBROADCASTSD wc+64(FP), Y12
	SHRQ $3, CX
	JZ   bndxdone
bndxloop:
	BNDX(0, Y0, Y1, X0)
	BNDX(16, Y2, Y3, X2)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	DECQ CX
	JNZ  bndxloop
bndxdone:
	VZEROUPPER
	RET
