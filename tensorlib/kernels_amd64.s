//go:build amd64

#include "textflag.h"

// AVX2/FMA elementwise kernels (kernels_amd64.go declares them; the pure-Go
// kernels in kernels.go are the reference). Binary kernels are exact IEEE
// operations, so they give the pure-Go results bit for bit; the float32
// exp, log, tanh and sigmoid are Cephes' polynomials evaluated with FMA
// (within 2 ulp; kernels_test.go measures them).

// ---- binary: dst[i] = a[i] OP b[i], a[i] OP s, s OP a[i] ----
// Each kernel also has a version with non-temporal stores (…NT, STORE =
// VMOVNTPx and an SFENCE at the end) for outputs far larger than the
// caches, which then cost no read for ownership; those need dst aligned
// to 32 bytes (kernels_amd64.go peels the head).

#define NOFENCE
#define NTFENCE SFENCE
// DI dst, SI a, DX b, CX n; Y15/X15 the broadcast scalar. W is the number
// of elements per YMM register, ESZ the element size in bytes.

#define BIN_VV(MOV, STORE, FENCE, SMOV, VOP, SOP, W, ESZ) \
	MOVQ dst+0(FP), DI \
	MOVQ a+8(FP), SI \
	MOVQ b+16(FP), DX \
	MOVQ n+24(FP), CX \
loop4: \
	CMPQ CX, $(4*W) \
	JB   loop1 \
	MOV  (SI), Y0 \
	MOV  32(SI), Y1 \
	MOV  64(SI), Y2 \
	MOV  96(SI), Y3 \
	VOP  (DX), Y0, Y0 \
	VOP  32(DX), Y1, Y1 \
	VOP  64(DX), Y2, Y2 \
	VOP  96(DX), Y3, Y3 \
	STORE Y0, (DI) \
	STORE Y1, 32(DI) \
	STORE Y2, 64(DI) \
	STORE Y3, 96(DI) \
	ADDQ $128, SI \
	ADDQ $128, DX \
	ADDQ $128, DI \
	SUBQ $(4*W), CX \
	JMP  loop4 \
loop1: \
	CMPQ CX, $W \
	JB   tail \
	MOV  (SI), Y0 \
	VOP  (DX), Y0, Y0 \
	STORE Y0, (DI) \
	ADDQ $32, SI \
	ADDQ $32, DX \
	ADDQ $32, DI \
	SUBQ $W, CX \
	JMP  loop1 \
tail: \
	TESTQ CX, CX \
	JZ   done \
	SMOV (SI), X0 \
	SOP  (DX), X0, X0 \
	SMOV X0, (DI) \
	ADDQ $ESZ, SI \
	ADDQ $ESZ, DX \
	ADDQ $ESZ, DI \
	DECQ CX \
	JMP  tail \
done: \
	FENCE \
	VZEROUPPER \
	RET

// BIN_VS computes a[i] OP s or s OP a[i]: LOADV loads a (or nothing when
// OPV reads a from memory itself), OPV applies the op to one register and
// TAILOP to X0 for one element.
#define BIN_VS(MOV, STORE, FENCE, SMOV, BCAST, LOADV, OPV, TAILOP, W, ESZ) \
	MOVQ dst+0(FP), DI \
	MOVQ a+8(FP), SI \
	BCAST s+16(FP), Y15 \
	MOVQ n+24(FP), CX \
loop4: \
	CMPQ CX, $(4*W) \
	JB   loop1 \
	LOADV(0, Y0) \
	LOADV(32, Y1) \
	LOADV(64, Y2) \
	LOADV(96, Y3) \
	OPV(0, Y0) \
	OPV(32, Y1) \
	OPV(64, Y2) \
	OPV(96, Y3) \
	STORE Y0, (DI) \
	STORE Y1, 32(DI) \
	STORE Y2, 64(DI) \
	STORE Y3, 96(DI) \
	ADDQ $128, SI \
	ADDQ $128, DI \
	SUBQ $(4*W), CX \
	JMP  loop4 \
loop1: \
	CMPQ CX, $W \
	JB   tail \
	LOADV(0, Y0) \
	OPV(0, Y0) \
	STORE Y0, (DI) \
	ADDQ $32, SI \
	ADDQ $32, DI \
	SUBQ $W, CX \
	JMP  loop1 \
tail: \
	TESTQ CX, CX \
	JZ   done \
	TAILOP \
	SMOV X0, (DI) \
	ADDQ $ESZ, SI \
	ADDQ $ESZ, DI \
	DECQ CX \
	JMP  tail \
done: \
	FENCE \
	VZEROUPPER \
	RET

// a[i] OP s: load a, then R = R OP s.
#define LDA_PS(OFF, R) VMOVUPS OFF(SI), R
#define LDA_PD(OFF, R) VMOVUPD OFF(SI), R
#define LDNONE(OFF, R)
#define ADD_VS_PS(OFF, R) VADDPS Y15, R, R
#define SUB_VS_PS(OFF, R) VSUBPS Y15, R, R
#define MUL_VS_PS(OFF, R) VMULPS Y15, R, R
#define DIV_VS_PS(OFF, R) VDIVPS Y15, R, R
#define SUB_SV_PS(OFF, R) VSUBPS OFF(SI), Y15, R
#define DIV_SV_PS(OFF, R) VDIVPS OFF(SI), Y15, R
#define ADD_VS_PD(OFF, R) VADDPD Y15, R, R
#define SUB_VS_PD(OFF, R) VSUBPD Y15, R, R
#define MUL_VS_PD(OFF, R) VMULPD Y15, R, R
#define DIV_VS_PD(OFF, R) VDIVPD Y15, R, R
#define SUB_SV_PD(OFF, R) VSUBPD OFF(SI), Y15, R
#define DIV_SV_PD(OFF, R) VDIVPD OFF(SI), Y15, R

#define ADD_VS_SS VMOVSS (SI), X0; VADDSS X15, X0, X0
#define SUB_VS_SS VMOVSS (SI), X0; VSUBSS X15, X0, X0
#define MUL_VS_SS VMOVSS (SI), X0; VMULSS X15, X0, X0
#define DIV_VS_SS VMOVSS (SI), X0; VDIVSS X15, X0, X0
#define SUB_SV_SS VMOVSS (SI), X1; VSUBSS X1, X15, X0
#define DIV_SV_SS VMOVSS (SI), X1; VDIVSS X1, X15, X0
#define ADD_VS_SD VMOVSD (SI), X0; VADDSD X15, X0, X0
#define SUB_VS_SD VMOVSD (SI), X0; VSUBSD X15, X0, X0
#define MUL_VS_SD VMOVSD (SI), X0; VMULSD X15, X0, X0
#define DIV_VS_SD VMOVSD (SI), X0; VDIVSD X15, X0, X0
#define SUB_SV_SD VMOVSD (SI), X1; VSUBSD X1, X15, X0
#define DIV_SV_SD VMOVSD (SI), X1; VDIVSD X1, X15, X0

// ---- activation gradients from the output: dst[i] = f(grad[i], out[i]) ----
// ReLU's (threshold_backward): out[i] <= 0 ? 0 : grad[i]; Tanh's
// grad·(1 - out·out); Sigmoid's grad·(out·(1 - out)). Each operation is
// one IEEE operation, as in the pure-Go kernels, so the results are the
// same bit for bit. n is a multiple of 8; the …NT versions store with
// non-temporal stores and need dst aligned to 32 bytes.

// GRAD loops over n elements, 8 at a time: Y1 holds out, SI points at
// grad, BODY leaves the result in Y0. Y15 is 0, Y14 1.
#define GRAD(STORE, FENCE, BODY) \
	MOVQ dst+0(FP), DI \
	MOVQ grad+8(FP), SI \
	MOVQ out+16(FP), DX \
	MOVQ n+24(FP), CX \
	VXORPS Y15, Y15, Y15 \
	VBROADCASTSS one<>(SB), Y14 \
loop: \
	CMPQ CX, $8 \
	JB   done \
	VMOVUPS (DX), Y1 \
	BODY \
	STORE Y0, (DI) \
	ADDQ $32, SI \
	ADDQ $32, DX \
	ADDQ $32, DI \
	SUBQ $8, CX \
	JMP  loop \
done: \
	FENCE \
	VZEROUPPER \
	RET

// RELUGRAD_PS keeps grad where !(out <= 0): out > 0 or NaN.
#define RELUGRAD_PS \
	VCMPPS $6, Y15, Y1, Y1 \
	VANDPS (SI), Y1, Y0

#define TANHGRAD_PS \
	VMULPS Y1, Y1, Y2 \
	VSUBPS Y2, Y14, Y2 \
	VMULPS (SI), Y2, Y0

#define SIGMOIDGRAD_PS \
	VSUBPS Y1, Y14, Y2 \
	VMULPS Y2, Y1, Y2 \
	VMULPS (SI), Y2, Y0

// func addVVF32(dst, a, b *float32, n int)
TEXT ·addVVF32(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VADDPS, VADDSS, 8, 4)

// func subVVF32(dst, a, b *float32, n int)
TEXT ·subVVF32(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VSUBPS, VSUBSS, 8, 4)

// func mulVVF32(dst, a, b *float32, n int)
TEXT ·mulVVF32(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VMULPS, VMULSS, 8, 4)

// func divVVF32(dst, a, b *float32, n int)
TEXT ·divVVF32(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VDIVPS, VDIVSS, 8, 4)

// func addVVF64(dst, a, b *float64, n int)
TEXT ·addVVF64(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VADDPD, VADDSD, 4, 8)

// func subVVF64(dst, a, b *float64, n int)
TEXT ·subVVF64(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VSUBPD, VSUBSD, 4, 8)

// func mulVVF64(dst, a, b *float64, n int)
TEXT ·mulVVF64(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VMULPD, VMULSD, 4, 8)

// func divVVF64(dst, a, b *float64, n int)
TEXT ·divVVF64(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VDIVPD, VDIVSD, 4, 8)

// func addVSF32(dst, a *float32, s float32, n int)
TEXT ·addVSF32(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VBROADCASTSS, LDA_PS, ADD_VS_PS, ADD_VS_SS, 8, 4)

// func subVSF32(dst, a *float32, s float32, n int)
TEXT ·subVSF32(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VBROADCASTSS, LDA_PS, SUB_VS_PS, SUB_VS_SS, 8, 4)

// func mulVSF32(dst, a *float32, s float32, n int)
TEXT ·mulVSF32(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VBROADCASTSS, LDA_PS, MUL_VS_PS, MUL_VS_SS, 8, 4)

// func divVSF32(dst, a *float32, s float32, n int)
TEXT ·divVSF32(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VBROADCASTSS, LDA_PS, DIV_VS_PS, DIV_VS_SS, 8, 4)

// func subSVF32(dst, a *float32, s float32, n int): s - a[i]
TEXT ·subSVF32(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VBROADCASTSS, LDNONE, SUB_SV_PS, SUB_SV_SS, 8, 4)

// func divSVF32(dst, a *float32, s float32, n int): s / a[i]
TEXT ·divSVF32(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVUPS, NOFENCE, VMOVSS, VBROADCASTSS, LDNONE, DIV_SV_PS, DIV_SV_SS, 8, 4)

// func addVSF64(dst, a *float64, s float64, n int)
TEXT ·addVSF64(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VBROADCASTSD, LDA_PD, ADD_VS_PD, ADD_VS_SD, 4, 8)

// func subVSF64(dst, a *float64, s float64, n int)
TEXT ·subVSF64(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VBROADCASTSD, LDA_PD, SUB_VS_PD, SUB_VS_SD, 4, 8)

// func mulVSF64(dst, a *float64, s float64, n int)
TEXT ·mulVSF64(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VBROADCASTSD, LDA_PD, MUL_VS_PD, MUL_VS_SD, 4, 8)

// func divVSF64(dst, a *float64, s float64, n int)
TEXT ·divVSF64(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VBROADCASTSD, LDA_PD, DIV_VS_PD, DIV_VS_SD, 4, 8)

// func subSVF64(dst, a *float64, s float64, n int): s - a[i]
TEXT ·subSVF64(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VBROADCASTSD, LDNONE, SUB_SV_PD, SUB_SV_SD, 4, 8)

// func divSVF64(dst, a *float64, s float64, n int): s / a[i]
TEXT ·divSVF64(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVUPD, NOFENCE, VMOVSD, VBROADCASTSD, LDNONE, DIV_SV_PD, DIV_SV_SD, 4, 8)

// func addVVF32NT(dst, a, b *float32, n int): addVVF32 with non-temporal stores, dst 32-byte aligned
TEXT ·addVVF32NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VADDPS, VADDSS, 8, 4)

// func subVVF32NT(dst, a, b *float32, n int): subVVF32 with non-temporal stores, dst 32-byte aligned
TEXT ·subVVF32NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VSUBPS, VSUBSS, 8, 4)

// func mulVVF32NT(dst, a, b *float32, n int): mulVVF32 with non-temporal stores, dst 32-byte aligned
TEXT ·mulVVF32NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VMULPS, VMULSS, 8, 4)

// func divVVF32NT(dst, a, b *float32, n int): divVVF32 with non-temporal stores, dst 32-byte aligned
TEXT ·divVVF32NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VDIVPS, VDIVSS, 8, 4)

// func addVVF64NT(dst, a, b *float64, n int): addVVF64 with non-temporal stores, dst 32-byte aligned
TEXT ·addVVF64NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VADDPD, VADDSD, 4, 8)

// func subVVF64NT(dst, a, b *float64, n int): subVVF64 with non-temporal stores, dst 32-byte aligned
TEXT ·subVVF64NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VSUBPD, VSUBSD, 4, 8)

// func mulVVF64NT(dst, a, b *float64, n int): mulVVF64 with non-temporal stores, dst 32-byte aligned
TEXT ·mulVVF64NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VMULPD, VMULSD, 4, 8)

// func divVVF64NT(dst, a, b *float64, n int): divVVF64 with non-temporal stores, dst 32-byte aligned
TEXT ·divVVF64NT(SB), NOSPLIT, $0-32
	BIN_VV(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VDIVPD, VDIVSD, 4, 8)

// func addVSF32NT(dst, a *float32, s float32, n int): addVSF32 with non-temporal stores, dst 32-byte aligned
TEXT ·addVSF32NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VBROADCASTSS, LDA_PS, ADD_VS_PS, ADD_VS_SS, 8, 4)

// func subVSF32NT(dst, a *float32, s float32, n int): subVSF32 with non-temporal stores, dst 32-byte aligned
TEXT ·subVSF32NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VBROADCASTSS, LDA_PS, SUB_VS_PS, SUB_VS_SS, 8, 4)

// func mulVSF32NT(dst, a *float32, s float32, n int): mulVSF32 with non-temporal stores, dst 32-byte aligned
TEXT ·mulVSF32NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VBROADCASTSS, LDA_PS, MUL_VS_PS, MUL_VS_SS, 8, 4)

// func divVSF32NT(dst, a *float32, s float32, n int): divVSF32 with non-temporal stores, dst 32-byte aligned
TEXT ·divVSF32NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VBROADCASTSS, LDA_PS, DIV_VS_PS, DIV_VS_SS, 8, 4)

// func subSVF32NT(dst, a *float32, s float32, n int): subSVF32 with non-temporal stores, dst 32-byte aligned
TEXT ·subSVF32NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VBROADCASTSS, LDNONE, SUB_SV_PS, SUB_SV_SS, 8, 4)

// func divSVF32NT(dst, a *float32, s float32, n int): divSVF32 with non-temporal stores, dst 32-byte aligned
TEXT ·divSVF32NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPS, VMOVNTPS, NTFENCE, VMOVSS, VBROADCASTSS, LDNONE, DIV_SV_PS, DIV_SV_SS, 8, 4)

// func addVSF64NT(dst, a *float64, s float64, n int): addVSF64 with non-temporal stores, dst 32-byte aligned
TEXT ·addVSF64NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VBROADCASTSD, LDA_PD, ADD_VS_PD, ADD_VS_SD, 4, 8)

// func subVSF64NT(dst, a *float64, s float64, n int): subVSF64 with non-temporal stores, dst 32-byte aligned
TEXT ·subVSF64NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VBROADCASTSD, LDA_PD, SUB_VS_PD, SUB_VS_SD, 4, 8)

// func mulVSF64NT(dst, a *float64, s float64, n int): mulVSF64 with non-temporal stores, dst 32-byte aligned
TEXT ·mulVSF64NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VBROADCASTSD, LDA_PD, MUL_VS_PD, MUL_VS_SD, 4, 8)

// func divVSF64NT(dst, a *float64, s float64, n int): divVSF64 with non-temporal stores, dst 32-byte aligned
TEXT ·divVSF64NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VBROADCASTSD, LDA_PD, DIV_VS_PD, DIV_VS_SD, 4, 8)

// func subSVF64NT(dst, a *float64, s float64, n int): subSVF64 with non-temporal stores, dst 32-byte aligned
TEXT ·subSVF64NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VBROADCASTSD, LDNONE, SUB_SV_PD, SUB_SV_SD, 4, 8)

// func divSVF64NT(dst, a *float64, s float64, n int): divSVF64 with non-temporal stores, dst 32-byte aligned
TEXT ·divSVF64NT(SB), NOSPLIT, $0-32
	BIN_VS(VMOVUPD, VMOVNTPD, NTFENCE, VMOVSD, VBROADCASTSD, LDNONE, DIV_SV_PD, DIV_SV_SD, 4, 8)

// ---- activation gradients from the output (macros: GRAD above) ----

// func reluGradF32(dst, grad, out *float32, n int)
TEXT ·reluGradF32(SB), NOSPLIT, $0-32
	GRAD(VMOVUPS, NOFENCE, RELUGRAD_PS)

// func tanhGradF32(dst, grad, out *float32, n int)
TEXT ·tanhGradF32(SB), NOSPLIT, $0-32
	GRAD(VMOVUPS, NOFENCE, TANHGRAD_PS)

// func sigmoidGradF32(dst, grad, out *float32, n int)
TEXT ·sigmoidGradF32(SB), NOSPLIT, $0-32
	GRAD(VMOVUPS, NOFENCE, SIGMOIDGRAD_PS)

// func reluGradF32NT(dst, grad, out *float32, n int): reluGradF32 with non-temporal stores, dst 32-byte aligned
TEXT ·reluGradF32NT(SB), NOSPLIT, $0-32
	GRAD(VMOVNTPS, NTFENCE, RELUGRAD_PS)

// func tanhGradF32NT(dst, grad, out *float32, n int): tanhGradF32 with non-temporal stores, dst 32-byte aligned
TEXT ·tanhGradF32NT(SB), NOSPLIT, $0-32
	GRAD(VMOVNTPS, NTFENCE, TANHGRAD_PS)

// func sigmoidGradF32NT(dst, grad, out *float32, n int): sigmoidGradF32 with non-temporal stores, dst 32-byte aligned
TEXT ·sigmoidGradF32NT(SB), NOSPLIT, $0-32
	GRAD(VMOVNTPS, NTFENCE, SIGMOIDGRAD_PS)

// ---- unary float32 kernels: dst[i] = f(src[i]), n a multiple of 8 ----

DATA expLo<>+0(SB)/4, $0xc2d00000 // -104
GLOBL expLo<>(SB), RODATA|NOPTR, $4
DATA expHi<>+0(SB)/4, $0x42b1999a // 88.8
GLOBL expHi<>(SB), RODATA|NOPTR, $4
DATA log2e<>+0(SB)/4, $0x3fb8aa3b
GLOBL log2e<>(SB), RODATA|NOPTR, $4
DATA expC1<>+0(SB)/4, $0x3f318000 // 0.693359375
GLOBL expC1<>(SB), RODATA|NOPTR, $4
DATA expC2<>+0(SB)/4, $0xb95e8083 // -2.12194440e-4
GLOBL expC2<>(SB), RODATA|NOPTR, $4
DATA expP0<>+0(SB)/4, $0x39506967
GLOBL expP0<>(SB), RODATA|NOPTR, $4
DATA expP1<>+0(SB)/4, $0x3ab743ce
GLOBL expP1<>(SB), RODATA|NOPTR, $4
DATA expP2<>+0(SB)/4, $0x3c088908
GLOBL expP2<>(SB), RODATA|NOPTR, $4
DATA expP3<>+0(SB)/4, $0x3d2aa9c1
GLOBL expP3<>(SB), RODATA|NOPTR, $4
DATA expP4<>+0(SB)/4, $0x3e2aaaaa
GLOBL expP4<>(SB), RODATA|NOPTR, $4
DATA expP5<>+0(SB)/4, $0x3f000000
GLOBL expP5<>(SB), RODATA|NOPTR, $4
DATA one<>+0(SB)/4, $0x3f800000
GLOBL one<>(SB), RODATA|NOPTR, $4
DATA two<>+0(SB)/4, $0x40000000
GLOBL two<>(SB), RODATA|NOPTR, $4
DATA bias127<>+0(SB)/4, $127
GLOBL bias127<>(SB), RODATA|NOPTR, $4
DATA signMask<>+0(SB)/4, $0x80000000
GLOBL signMask<>(SB), RODATA|NOPTR, $4
DATA absMask<>+0(SB)/4, $0x7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $4
DATA minNorm<>+0(SB)/4, $0x00800000
GLOBL minNorm<>(SB), RODATA|NOPTR, $4
DATA twoP23<>+0(SB)/4, $0x4b000000
GLOBL twoP23<>(SB), RODATA|NOPTR, $4
DATA f23<>+0(SB)/4, $0x41b80000
GLOBL f23<>(SB), RODATA|NOPTR, $4
DATA i126<>+0(SB)/4, $126
GLOBL i126<>(SB), RODATA|NOPTR, $4
DATA mantMask<>+0(SB)/4, $0x007fffff
GLOBL mantMask<>(SB), RODATA|NOPTR, $4
DATA half<>+0(SB)/4, $0x3f000000
GLOBL half<>(SB), RODATA|NOPTR, $4
DATA sqrtHf<>+0(SB)/4, $0x3f3504f3
GLOBL sqrtHf<>(SB), RODATA|NOPTR, $4
DATA posInf<>+0(SB)/4, $0x7f800000
GLOBL posInf<>(SB), RODATA|NOPTR, $4
DATA negInf<>+0(SB)/4, $0xff800000
GLOBL negInf<>(SB), RODATA|NOPTR, $4
DATA qNaN<>+0(SB)/4, $0x7fc00000
GLOBL qNaN<>(SB), RODATA|NOPTR, $4
DATA logL0<>+0(SB)/4, $0x3d9021bb
GLOBL logL0<>(SB), RODATA|NOPTR, $4
DATA logL1<>+0(SB)/4, $0xbdebd1b8
GLOBL logL1<>(SB), RODATA|NOPTR, $4
DATA logL2<>+0(SB)/4, $0x3def251a
GLOBL logL2<>(SB), RODATA|NOPTR, $4
DATA logL3<>+0(SB)/4, $0xbdfe5d4f
GLOBL logL3<>(SB), RODATA|NOPTR, $4
DATA logL4<>+0(SB)/4, $0x3e11e9bf
GLOBL logL4<>(SB), RODATA|NOPTR, $4
DATA logL5<>+0(SB)/4, $0xbe2aae50
GLOBL logL5<>(SB), RODATA|NOPTR, $4
DATA logL6<>+0(SB)/4, $0x3e4cceac
GLOBL logL6<>(SB), RODATA|NOPTR, $4
DATA logL7<>+0(SB)/4, $0xbe7ffffc
GLOBL logL7<>(SB), RODATA|NOPTR, $4
DATA logL8<>+0(SB)/4, $0x3eaaaaaa
GLOBL logL8<>(SB), RODATA|NOPTR, $4
DATA negHalf<>+0(SB)/4, $0xbf000000
GLOBL negHalf<>(SB), RODATA|NOPTR, $4
DATA tanhT0<>+0(SB)/4, $0xbbbaf0ea
GLOBL tanhT0<>(SB), RODATA|NOPTR, $4
DATA tanhT1<>+0(SB)/4, $0x3ca9134e
GLOBL tanhT1<>(SB), RODATA|NOPTR, $4
DATA tanhT2<>+0(SB)/4, $0xbd5c1e2d
GLOBL tanhT2<>(SB), RODATA|NOPTR, $4
DATA tanhT3<>+0(SB)/4, $0x3e088393
GLOBL tanhT3<>(SB), RODATA|NOPTR, $4
DATA tanhT4<>+0(SB)/4, $0xbeaaaa99
GLOBL tanhT4<>(SB), RODATA|NOPTR, $4
DATA c0625<>+0(SB)/4, $0x3f200000
GLOBL c0625<>(SB), RODATA|NOPTR, $4

// EXP_PS sets Y0 = e^Y0 (clobbers Y1-Y4): n = round(x·log2 e), r = x - n·ln 2
// in two steps, e^r by Cephes' degree-5 polynomial, and the result scaled
// by 2^(n>>1)·2^(n-(n>>1)) so that overflow gives +Inf and the subnormal
// range rounds once. NaN propagates through r.
#define EXP_PS \
	VBROADCASTSS expLo<>(SB), Y1 \
	VMAXPS Y0, Y1, Y0 \
	VBROADCASTSS expHi<>(SB), Y1 \
	VMINPS Y0, Y1, Y0 \
	VBROADCASTSS log2e<>(SB), Y1 \
	VMULPS Y1, Y0, Y1 \
	VROUNDPS $0, Y1, Y1 \
	VBROADCASTSS expC1<>(SB), Y2 \
	VFNMADD231PS Y2, Y1, Y0 \
	VBROADCASTSS expC2<>(SB), Y2 \
	VFNMADD231PS Y2, Y1, Y0 \
	VBROADCASTSS expP0<>(SB), Y3 \
	VBROADCASTSS expP1<>(SB), Y2 \
	VFMADD213PS Y2, Y0, Y3 \
	VBROADCASTSS expP2<>(SB), Y2 \
	VFMADD213PS Y2, Y0, Y3 \
	VBROADCASTSS expP3<>(SB), Y2 \
	VFMADD213PS Y2, Y0, Y3 \
	VBROADCASTSS expP4<>(SB), Y2 \
	VFMADD213PS Y2, Y0, Y3 \
	VBROADCASTSS expP5<>(SB), Y2 \
	VFMADD213PS Y2, Y0, Y3 \
	VMULPS Y0, Y0, Y2 \
	VFMADD213PS Y0, Y2, Y3 \
	VBROADCASTSS one<>(SB), Y2 \
	VADDPS Y2, Y3, Y3 \
	VCVTPS2DQ Y1, Y1 \
	VPSRAD $1, Y1, Y2 \
	VPSUBD Y2, Y1, Y1 \
	VPBROADCASTD bias127<>(SB), Y4 \
	VPADDD Y4, Y2, Y2 \
	VPADDD Y4, Y1, Y1 \
	VPSLLD $23, Y2, Y2 \
	VPSLLD $23, Y1, Y1 \
	VMULPS Y2, Y3, Y3 \
	VMULPS Y1, Y3, Y0

// LOG_PS sets Y0 = ln Y0 (clobbers Y1-Y7), Cephes' logf: x = m·2^e with m
// in [√½, √2), ln(1+(m-1)) by a degree-9 polynomial, plus e·ln 2 in two
// parts. Subnormals are scaled by 2^23 first; 0 gives -Inf, negative
// numbers NaN, +Inf and NaN themselves.
#define LOG_PS \
	VMOVAPS Y0, Y7 \
	VBROADCASTSS minNorm<>(SB), Y1 \
	VCMPPS $1, Y1, Y0, Y2 \
	VBROADCASTSS twoP23<>(SB), Y3 \
	VMULPS Y3, Y0, Y3 \
	VBLENDVPS Y2, Y3, Y0, Y4 \
	VBROADCASTSS f23<>(SB), Y3 \
	VANDPS Y3, Y2, Y2 \
	VPSRLD $23, Y4, Y5 \
	VPBROADCASTD i126<>(SB), Y3 \
	VPSUBD Y3, Y5, Y5 \
	VCVTDQ2PS Y5, Y5 \
	VSUBPS Y2, Y5, Y5 \
	VBROADCASTSS mantMask<>(SB), Y3 \
	VANDPS Y3, Y4, Y4 \
	VBROADCASTSS half<>(SB), Y3 \
	VORPS Y3, Y4, Y4 \
	VBROADCASTSS sqrtHf<>(SB), Y3 \
	VCMPPS $1, Y3, Y4, Y2 \
	VBROADCASTSS one<>(SB), Y3 \
	VANDPS Y3, Y2, Y6 \
	VSUBPS Y6, Y5, Y5 \
	VANDPS Y4, Y2, Y6 \
	VSUBPS Y3, Y4, Y4 \
	VADDPS Y6, Y4, Y4 \
	VMULPS Y4, Y4, Y6 \
	VBROADCASTSS logL0<>(SB), Y1 \
	VBROADCASTSS logL1<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL2<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL3<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL4<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL5<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL6<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL7<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VBROADCASTSS logL8<>(SB), Y2 \
	VFMADD213PS Y2, Y4, Y1 \
	VMULPS Y4, Y1, Y1 \
	VMULPS Y6, Y1, Y1 \
	VBROADCASTSS expC2<>(SB), Y2 \
	VFMADD231PS Y2, Y5, Y1 \
	VBROADCASTSS negHalf<>(SB), Y2 \
	VFMADD231PS Y2, Y6, Y1 \
	VADDPS Y1, Y4, Y0 \
	VBROADCASTSS expC1<>(SB), Y2 \
	VFMADD231PS Y2, Y5, Y0 \
	VXORPS Y3, Y3, Y3 \
	VCMPPS $1, Y3, Y7, Y2 \
	VBROADCASTSS qNaN<>(SB), Y1 \
	VBLENDVPS Y2, Y1, Y0, Y0 \
	VCMPPS $0, Y3, Y7, Y2 \
	VBROADCASTSS negInf<>(SB), Y1 \
	VBLENDVPS Y2, Y1, Y0, Y0 \
	VBROADCASTSS posInf<>(SB), Y1 \
	VCMPPS $5, Y1, Y7, Y2 \
	VBLENDVPS Y2, Y7, Y0, Y0

// TANH_PS sets Y0 = tanh Y0 (clobbers Y1-Y10), Cephes' tanhf on |x| with
// the sign put back: 1 - 2/(e^(2|x|)+1) above 0.625, an odd polynomial
// below.
#define TANH_PS \
	VBROADCASTSS absMask<>(SB), Y1 \
	VANDPS Y1, Y0, Y8 \
	VXORPS Y8, Y0, Y9 \
	VADDPS Y8, Y8, Y0 \
	EXP_PS \
	VBROADCASTSS one<>(SB), Y1 \
	VADDPS Y1, Y0, Y0 \
	VBROADCASTSS two<>(SB), Y2 \
	VDIVPS Y0, Y2, Y0 \
	VSUBPS Y0, Y1, Y10 \
	VMULPS Y8, Y8, Y1 \
	VBROADCASTSS tanhT0<>(SB), Y3 \
	VBROADCASTSS tanhT1<>(SB), Y2 \
	VFMADD213PS Y2, Y1, Y3 \
	VBROADCASTSS tanhT2<>(SB), Y2 \
	VFMADD213PS Y2, Y1, Y3 \
	VBROADCASTSS tanhT3<>(SB), Y2 \
	VFMADD213PS Y2, Y1, Y3 \
	VBROADCASTSS tanhT4<>(SB), Y2 \
	VFMADD213PS Y2, Y1, Y3 \
	VMULPS Y1, Y3, Y3 \
	VFMADD213PS Y8, Y8, Y3 \
	VBROADCASTSS c0625<>(SB), Y2 \
	VCMPPS $1, Y8, Y2, Y2 \
	VBLENDVPS Y2, Y10, Y3, Y0 \
	VORPS Y9, Y0, Y0

// SIGMOID_PS sets Y0 = 1/(1+e^-Y0) (clobbers Y1-Y5), as e = e^-|x| and
// n/(1+e) with n = 1 for x >= 0, n = e for x < 0, so that e never
// overflows. The quotient q = n/d of the rounded denominator d is
// corrected for d's rounding error δ = (1-d)+e (exact, as e <= 1) and
// for the division's: n/(d+δ) ≈ q + (fma(-q, d, n) - q·δ)/d.
#define SIGMOID_PS \
	VMOVAPS Y0, Y5 \
	VBROADCASTSS absMask<>(SB), Y1 \
	VANDPS Y1, Y0, Y0 \
	VBROADCASTSS signMask<>(SB), Y1 \
	VXORPS Y1, Y0, Y0 \
	EXP_PS \
	VBROADCASTSS one<>(SB), Y1 \
	VADDPS Y1, Y0, Y2 \
	VSUBPS Y2, Y1, Y3 \
	VADDPS Y0, Y3, Y3 \
	VBLENDVPS Y5, Y0, Y1, Y1 \
	VDIVPS Y2, Y1, Y4 \
	VFNMADD231PS Y4, Y2, Y1 \
	VFNMADD231PS Y4, Y3, Y1 \
	VDIVPS Y2, Y1, Y1 \
	VADDPS Y1, Y4, Y0

// UNARY loops over n (a multiple of 8) elements, applying BODY to Y0.
#define UNARY(STORE, FENCE, BODY) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
loop: \
	CMPQ CX, $8 \
	JB   done \
	VMOVUPS (SI), Y0 \
	BODY \
	STORE Y0, (DI) \
	ADDQ $32, SI \
	ADDQ $32, DI \
	SUBQ $8, CX \
	JMP  loop \
done: \
	FENCE \
	VZEROUPPER \
	RET

#define RELU_PS \
	VXORPS Y1, Y1, Y1 \
	VCMPPS $6, Y1, Y0, Y1 \
	VANDPS Y1, Y0, Y0

#define NEG_PS \
	VBROADCASTSS signMask<>(SB), Y1 \
	VXORPS Y1, Y0, Y0

#define ABS_PS \
	VBROADCASTSS absMask<>(SB), Y1 \
	VANDPS Y1, Y0, Y0

#define SQRT_PS VSQRTPS Y0, Y0

// func expF32(dst, src *float32, n int)
TEXT ·expF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, EXP_PS)

// func logF32(dst, src *float32, n int)
TEXT ·logF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, LOG_PS)

// func tanhF32(dst, src *float32, n int)
TEXT ·tanhF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, TANH_PS)

// func sigmoidF32(dst, src *float32, n int)
TEXT ·sigmoidF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, SIGMOID_PS)

// func reluF32(dst, src *float32, n int)
TEXT ·reluF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, RELU_PS)

// func negF32(dst, src *float32, n int)
TEXT ·negF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, NEG_PS)

// func absF32(dst, src *float32, n int)
TEXT ·absF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, ABS_PS)

// func sqrtF32(dst, src *float32, n int)
TEXT ·sqrtF32(SB), NOSPLIT, $0-24
	UNARY(VMOVUPS, NOFENCE, SQRT_PS)

// func reluF32NT(dst, src *float32, n int): reluF32 with non-temporal stores, dst 32-byte aligned
TEXT ·reluF32NT(SB), NOSPLIT, $0-24
	UNARY(VMOVNTPS, NTFENCE, RELU_PS)

// func negF32NT(dst, src *float32, n int): negF32 with non-temporal stores, dst 32-byte aligned
TEXT ·negF32NT(SB), NOSPLIT, $0-24
	UNARY(VMOVNTPS, NTFENCE, NEG_PS)

// func absF32NT(dst, src *float32, n int): absF32 with non-temporal stores, dst 32-byte aligned
TEXT ·absF32NT(SB), NOSPLIT, $0-24
	UNARY(VMOVNTPS, NTFENCE, ABS_PS)

// func sqrtF32NT(dst, src *float32, n int): sqrtF32 with non-temporal stores, dst 32-byte aligned
TEXT ·sqrtF32NT(SB), NOSPLIT, $0-24
	UNARY(VMOVNTPS, NTFENCE, SQRT_PS)


// ---- float32 sums in PyTorch's order ----

// func sumBlock64F32(acc, x *float32, steps int)
// acc[l] += x[64·i+l] for i < steps in order, l < 64: the innermost loop of
// the cascade sum (torchsum.go), 64 independent lanes.
TEXT ·sumBlock64F32(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ steps+16(FP), CX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	TESTQ CX, CX
	JZ   s64done
s64loop:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VADDPS 128(SI), Y4, Y4
	VADDPS 160(SI), Y5, Y5
	VADDPS 192(SI), Y6, Y6
	VADDPS 224(SI), Y7, Y7
	ADDQ $256, SI
	DECQ CX
	JNZ  s64loop
s64done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET


// ---- 2×2 max pooling, stride 2 (pool_fast.go) ----

DATA pool2Base<>+0(SB)/4, $0
DATA pool2Base<>+4(SB)/4, $2
DATA pool2Base<>+8(SB)/4, $4
DATA pool2Base<>+12(SB)/4, $6
DATA pool2Base<>+16(SB)/4, $8
DATA pool2Base<>+20(SB)/4, $10
DATA pool2Base<>+24(SB)/4, $12
DATA pool2Base<>+28(SB)/4, $14
GLOBL pool2Base<>(SB), RODATA|NOPTR, $32
DATA i1<>+0(SB)/4, $1
GLOBL i1<>(SB), RODATA|NOPTR, $4
DATA i2<>+0(SB)/4, $2
GLOBL i2<>(SB), RODATA|NOPTR, $4
DATA i3<>+0(SB)/4, $3
GLOBL i3<>(SB), RODATA|NOPTR, $4
DATA i16<>+0(SB)/4, $16
GLOBL i16<>(SB), RODATA|NOPTR, $4

// POOL_STEP is one step of the window scan: V replaces the best (Y2, its
// code in Y6) where V > best or V is NaN (never both).
#define POOL_STEP(V, CODE) \
	VCMPPS $0x1e, Y2, V, Y7 \
	VCMPPS $3, V, V, Y8 \
	VXORPS Y8, Y7, Y7 \
	VBLENDVPS Y7, V, Y2, Y2 \
	VBLENDVPS Y7, CODE, Y6, Y6

// POOL_BLOCK pools 8 outputs, j = BX of the current row: out[j..j+8) (DI)
// and idx (R8) from input rows SI and DX at columns 2j.., R13 being the
// plane position of the row's first input (r0): out is the max of
// row0[2j], row0[2j+1], row1[2j], row1[2j+1] scanned in that order (ties
// keep the first, NaN wins), idx its position r0+2j (+1 for the odd
// column, +w (Y13) for row1).
#define POOL_BLOCK \
	LEAQ (SI)(BX*8), AX \
	LEAQ (DX)(BX*8), CX \
	VMOVUPS (AX), Y0 \
	VMOVUPS 32(AX), Y1 \
	VSHUFPS $0x88, Y1, Y0, Y2 \
	VSHUFPS $0xdd, Y1, Y0, Y3 \
	VMOVUPS (CX), Y0 \
	VMOVUPS 32(CX), Y1 \
	VSHUFPS $0x88, Y1, Y0, Y4 \
	VSHUFPS $0xdd, Y1, Y0, Y5 \
	VPXOR Y6, Y6, Y6 \
	POOL_STEP(Y3, Y9) \
	POOL_STEP(Y4, Y10) \
	POOL_STEP(Y5, Y11) \
	VPERMPD $0xd8, Y2, Y2 \
	VPERMQ $0xd8, Y6, Y6 \
	VMOVUPS Y2, (DI)(BX*4) \
	LEAQ (R13)(BX*2), R14 \
	VMOVQ R14, X0 \
	VPBROADCASTD X0, Y15 \
	VPADDD Y12, Y15, Y15 \
	VPAND Y9, Y6, Y7 \
	VPSRLD $1, Y6, Y8 \
	VPMULLD Y13, Y8, Y8 \
	VPADDD Y7, Y8, Y8 \
	VPADDD Y15, Y8, Y8 \
	VPMOVSXDQ X8, Y0 \
	VEXTRACTI128 $1, Y8, X1 \
	VPMOVSXDQ X1, Y1 \
	VMOVDQU Y0, (R8)(BX*8) \
	VMOVDQU Y1, 32(R8)(BX*8)

// func pool2x2PlaneAVX2(out *float32, idx *int64, in *float32, oh, ow, w int)
// Pools a plane of oh×ow outputs (ow >= 8) from the input plane in of
// width w, row by row in blocks of 8 outputs; a row's last partial block
// is done as the row's last 8 outputs again (the same values).
TEXT ·pool2x2PlaneAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ idx+8(FP), R8
	MOVQ in+16(FP), R12
	MOVQ oh+24(FP), R9
	MOVQ ow+32(FP), R10
	MOVQ w+40(FP), R11
	VMOVDQU pool2Base<>(SB), Y12
	VPBROADCASTD w+40(FP), Y13
	VPBROADCASTD i1<>(SB), Y9
	VPBROADCASTD i2<>(SB), Y10
	VPBROADCASTD i3<>(SB), Y11
	XORQ R13, R13
	TESTQ R9, R9
	JZ   ppdone
pprow:
	LEAQ (R12)(R13*4), SI
	LEAQ (SI)(R11*4), DX
	XORQ BX, BX
ppblock:
	LEAQ 8(BX), AX
	CMPQ AX, R10
	JA   pplast
	POOL_BLOCK
	ADDQ $8, BX
	CMPQ BX, R10
	JEQ  pprowdone
	JMP  ppblock
pplast:
	MOVQ R10, BX
	SUBQ $8, BX
	POOL_BLOCK
pprowdone:
	LEAQ (DI)(R10*4), DI
	LEAQ (R8)(R10*8), R8
	LEAQ (R13)(R11*2), R13
	DECQ R9
	JNZ  pprow
ppdone:
	VZEROUPPER
	RET

// ---- float32 <-> float64 conversions (convert.go) ----

// func cvtF32F64AVX(dst *float64, src *float32, n int), n a multiple of 8
TEXT ·cvtF32F64AVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JZ   c1done
c1loop:
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $8, CX
	JNZ  c1loop
c1done:
	VZEROUPPER
	RET

// func cvtF64F32AVX(dst *float32, src *float64, n int), n a multiple of 8
TEXT ·cvtF64F32AVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JZ   c2done
c2loop:
	VCVTPD2PSY (SI), X0
	VCVTPD2PSY 32(SI), X1
	VMOVUPS X0, (DI)
	VMOVUPS X1, 16(DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  c2loop
c2done:
	VZEROUPPER
	RET
