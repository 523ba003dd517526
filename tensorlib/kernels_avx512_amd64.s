//go:build amd64

#include "textflag.h"

// AVX-512F versions of the float32 exp, log, tanh and sigmoid kernels of
// kernels_amd64.s (kernels_avx512_amd64.go declares and selects them).
// They compute the same floating-point operations, in the same order and
// with the same operands, lane by lane as the AVX2 macros EXP_PS, LOG_PS,
// TANH_PS and SIGMOID_PS, so both give the same bits for every input (the
// tests compare them bit for bit; TestUnaryAVX512Exhaustive over all 2³²
// inputs). What differs is only how the lanes are driven:
//   - 16 lanes per vector, and every constant is kept in a register
//     (Z8-Z31) for the whole loop instead of broadcast again per vector;
//   - AVX2 blends and mask-ANDs become K-mask compares and merge-masked
//     operations, bit for bit the same selections;
//   - exp's scaling by 2^n, done in AVX2 as integer exponent arithmetic
//     and two multiplications by 2^(n>>1) and 2^(n-(n>>1)) whose first is
//     exact, is one VSCALEFPS, which rounds p·2^n once just as the second
//     multiplication does (n is in [-150, 128], p in [0.7, 1.5]);
//   - log's split x = m·2^e (m in [½, 1)), done in AVX2 with exponent bit
//     arithmetic after scaling subnormals by 2^23, is VGETMANTPS and
//     VGETEXPPS, which give the same m and e for every positive finite x,
//     subnormals included (other inputs are overwritten at the end);
//   - tanh and sigmoid skip the exp clamp their argument's sign makes a
//     no-op (2|x| >= 0, -|x| <= 0; NaN passes either), and compute x's
//     sign, the branch selection and n with bitwise and masked operations
//     that select the same values (see TANH_Z, SIGMOID_Z).
// Operands keep their AVX2 positions, so NaN inputs give the same NaN,
// payload included.
// Bitwise operations use the AVX512F integer forms (VPANDD, VPORD, ...)
// so that AVX512F alone suffices.
//
// Each kernel takes any n: the last n%16 elements are loaded with a
// zeroing mask and stored with the same mask, so no element outside
// [0, n) is touched.

DATA z_expLo<>+0(SB)/4, $0xc2d00000 // -104
GLOBL z_expLo<>(SB), RODATA|NOPTR, $4
DATA z_expHi<>+0(SB)/4, $0x42b1999a // 88.8
GLOBL z_expHi<>(SB), RODATA|NOPTR, $4
DATA z_log2e<>+0(SB)/4, $0x3fb8aa3b
GLOBL z_log2e<>(SB), RODATA|NOPTR, $4
DATA z_expC1<>+0(SB)/4, $0x3f318000 // 0.693359375
GLOBL z_expC1<>(SB), RODATA|NOPTR, $4
DATA z_expC2<>+0(SB)/4, $0xb95e8083 // -2.12194440e-4
GLOBL z_expC2<>(SB), RODATA|NOPTR, $4
DATA z_expP0<>+0(SB)/4, $0x39506967
GLOBL z_expP0<>(SB), RODATA|NOPTR, $4
DATA z_expP1<>+0(SB)/4, $0x3ab743ce
GLOBL z_expP1<>(SB), RODATA|NOPTR, $4
DATA z_expP2<>+0(SB)/4, $0x3c088908
GLOBL z_expP2<>(SB), RODATA|NOPTR, $4
DATA z_expP3<>+0(SB)/4, $0x3d2aa9c1
GLOBL z_expP3<>(SB), RODATA|NOPTR, $4
DATA z_expP4<>+0(SB)/4, $0x3e2aaaaa
GLOBL z_expP4<>(SB), RODATA|NOPTR, $4
DATA z_expP5<>+0(SB)/4, $0x3f000000
GLOBL z_expP5<>(SB), RODATA|NOPTR, $4
DATA z_one<>+0(SB)/4, $0x3f800000
GLOBL z_one<>(SB), RODATA|NOPTR, $4
DATA z_two<>+0(SB)/4, $0x40000000
GLOBL z_two<>(SB), RODATA|NOPTR, $4
DATA z_signMask<>+0(SB)/4, $0x80000000
GLOBL z_signMask<>(SB), RODATA|NOPTR, $4
DATA z_absMask<>+0(SB)/4, $0x7fffffff
GLOBL z_absMask<>(SB), RODATA|NOPTR, $4
DATA z_sqrtHf<>+0(SB)/4, $0x3f3504f3
GLOBL z_sqrtHf<>(SB), RODATA|NOPTR, $4
DATA z_posInf<>+0(SB)/4, $0x7f800000
GLOBL z_posInf<>(SB), RODATA|NOPTR, $4
DATA z_negInf<>+0(SB)/4, $0xff800000
GLOBL z_negInf<>(SB), RODATA|NOPTR, $4
DATA z_qNaN<>+0(SB)/4, $0x7fc00000
GLOBL z_qNaN<>(SB), RODATA|NOPTR, $4
DATA z_logL0<>+0(SB)/4, $0x3d9021bb
GLOBL z_logL0<>(SB), RODATA|NOPTR, $4
DATA z_logL1<>+0(SB)/4, $0xbdebd1b8
GLOBL z_logL1<>(SB), RODATA|NOPTR, $4
DATA z_logL2<>+0(SB)/4, $0x3def251a
GLOBL z_logL2<>(SB), RODATA|NOPTR, $4
DATA z_logL3<>+0(SB)/4, $0xbdfe5d4f
GLOBL z_logL3<>(SB), RODATA|NOPTR, $4
DATA z_logL4<>+0(SB)/4, $0x3e11e9bf
GLOBL z_logL4<>(SB), RODATA|NOPTR, $4
DATA z_logL5<>+0(SB)/4, $0xbe2aae50
GLOBL z_logL5<>(SB), RODATA|NOPTR, $4
DATA z_logL6<>+0(SB)/4, $0x3e4cceac
GLOBL z_logL6<>(SB), RODATA|NOPTR, $4
DATA z_logL7<>+0(SB)/4, $0xbe7ffffc
GLOBL z_logL7<>(SB), RODATA|NOPTR, $4
DATA z_logL8<>+0(SB)/4, $0x3eaaaaaa
GLOBL z_logL8<>(SB), RODATA|NOPTR, $4
DATA z_negHalf<>+0(SB)/4, $0xbf000000
GLOBL z_negHalf<>(SB), RODATA|NOPTR, $4
DATA z_tanhT0<>+0(SB)/4, $0xbbbaf0ea
GLOBL z_tanhT0<>(SB), RODATA|NOPTR, $4
DATA z_tanhT1<>+0(SB)/4, $0x3ca9134e
GLOBL z_tanhT1<>(SB), RODATA|NOPTR, $4
DATA z_tanhT2<>+0(SB)/4, $0xbd5c1e2d
GLOBL z_tanhT2<>(SB), RODATA|NOPTR, $4
DATA z_tanhT3<>+0(SB)/4, $0x3e088393
GLOBL z_tanhT3<>(SB), RODATA|NOPTR, $4
DATA z_tanhT4<>+0(SB)/4, $0xbeaaaa99
GLOBL z_tanhT4<>(SB), RODATA|NOPTR, $4
DATA z_c0625<>+0(SB)/4, $0x3f200000
GLOBL z_c0625<>(SB), RODATA|NOPTR, $4

// EXP_INIT loads exp's constants: Z16 -104, Z17 88.8, Z18 log2 e, Z19 and
// Z20 ln 2 in two parts, Z21-Z26 the polynomial, Z27 1.
#define EXP_INIT \
	VBROADCASTSS z_expLo<>(SB), Z16 \
	VBROADCASTSS z_expHi<>(SB), Z17 \
	VBROADCASTSS z_log2e<>(SB), Z18 \
	VBROADCASTSS z_expC1<>(SB), Z19 \
	VBROADCASTSS z_expC2<>(SB), Z20 \
	VBROADCASTSS z_expP0<>(SB), Z21 \
	VBROADCASTSS z_expP1<>(SB), Z22 \
	VBROADCASTSS z_expP2<>(SB), Z23 \
	VBROADCASTSS z_expP3<>(SB), Z24 \
	VBROADCASTSS z_expP4<>(SB), Z25 \
	VBROADCASTSS z_expP5<>(SB), Z26 \
	VBROADCASTSS z_one<>(SB), Z27

// EXP_Z sets X = e^X (clobbers Z1-Z3; constants of EXP_INIT), EXP_PS's
// operations: clamp to [-104, 88.8] (EXP_LO, EXP_HI), n = round(x·log2 e),
// r = x - n·ln 2 in two steps, p = e^r by the degree-5 polynomial, then
// p·2^n rounded once (EXP_REST). Where x is known to be >= 0 or <= 0 (or
// NaN) one clamp changes nothing and tanh and sigmoid leave it out.
#define EXP_Z(X) \
	EXP_LO(X) \
	EXP_HI(X) \
	EXP_REST(X)

#define EXP_LO(X) VMAXPS X, Z16, X
#define EXP_HI(X) VMINPS X, Z17, X

#define EXP_REST(X) \
	VMULPS Z18, X, Z1 \
	VRNDSCALEPS $0, Z1, Z1 \
	VFNMADD231PS Z19, Z1, X \
	VFNMADD231PS Z20, Z1, X \
	VMOVAPS Z21, Z3 \
	VFMADD213PS Z22, X, Z3 \
	VFMADD213PS Z23, X, Z3 \
	VFMADD213PS Z24, X, Z3 \
	VFMADD213PS Z25, X, Z3 \
	VFMADD213PS Z26, X, Z3 \
	VMULPS X, X, Z2 \
	VFMADD213PS X, Z2, Z3 \
	VADDPS Z27, Z3, Z3 \
	VSCALEFPS Z1, Z3, X

// LOG_INIT loads log's constants: Z8 √½, Z9 1, Z10-Z18 the polynomial,
// Z19 and Z21 ln 2 in two parts, Z20 -½, Z22 NaN, Z23 -Inf, Z24 +Inf,
// Z25 0.
#define LOG_INIT \
	VBROADCASTSS z_sqrtHf<>(SB), Z8 \
	VBROADCASTSS z_one<>(SB), Z9 \
	VBROADCASTSS z_logL0<>(SB), Z10 \
	VBROADCASTSS z_logL1<>(SB), Z11 \
	VBROADCASTSS z_logL2<>(SB), Z12 \
	VBROADCASTSS z_logL3<>(SB), Z13 \
	VBROADCASTSS z_logL4<>(SB), Z14 \
	VBROADCASTSS z_logL5<>(SB), Z15 \
	VBROADCASTSS z_logL6<>(SB), Z16 \
	VBROADCASTSS z_logL7<>(SB), Z17 \
	VBROADCASTSS z_logL8<>(SB), Z18 \
	VBROADCASTSS z_expC2<>(SB), Z19 \
	VBROADCASTSS z_negHalf<>(SB), Z20 \
	VBROADCASTSS z_expC1<>(SB), Z21 \
	VBROADCASTSS z_qNaN<>(SB), Z22 \
	VBROADCASTSS z_negInf<>(SB), Z23 \
	VBROADCASTSS z_posInf<>(SB), Z24 \
	VPXORD Z25, Z25, Z25

// LOG_Z sets Z0 = ln Z0 (clobbers Z1, Z3-Z7, K2), LOG_PS's operations:
// x = m·2^e with m in [½, 1); where m < √½, e -= 1 and z = (m-1)+m, else
// z = m-1 (LOG_PS adds m masked to zero, i.e. +0, which changes nothing);
// the polynomial in z (into Z7); the special inputs last: NaN below 0,
// -Inf at ±0, and x itself unless x < +Inf (+Inf, NaN).
#define LOG_Z \
	VGETMANTPS $2, Z0, Z4 \
	VGETEXPPS Z0, Z5 \
	VADDPS Z9, Z5, Z5 \
	VCMPPS $1, Z8, Z4, K2 \
	VSUBPS Z9, Z5, K2, Z5 \
	VSUBPS Z9, Z4, Z6 \
	VADDPS Z4, Z6, K2, Z6 \
	VMULPS Z6, Z6, Z3 \
	VMOVAPS Z10, Z1 \
	VFMADD213PS Z11, Z6, Z1 \
	VFMADD213PS Z12, Z6, Z1 \
	VFMADD213PS Z13, Z6, Z1 \
	VFMADD213PS Z14, Z6, Z1 \
	VFMADD213PS Z15, Z6, Z1 \
	VFMADD213PS Z16, Z6, Z1 \
	VFMADD213PS Z17, Z6, Z1 \
	VFMADD213PS Z18, Z6, Z1 \
	VMULPS Z6, Z1, Z1 \
	VMULPS Z3, Z1, Z1 \
	VFMADD231PS Z19, Z5, Z1 \
	VFMADD231PS Z20, Z3, Z1 \
	VADDPS Z1, Z6, Z7 \
	VFMADD231PS Z21, Z5, Z7 \
	VCMPPS $1, Z25, Z0, K2 \
	VMOVAPS Z22, K2, Z7 \
	VCMPPS $0, Z25, Z0, K2 \
	VMOVAPS Z23, K2, Z7 \
	VCMPPS $1, Z24, Z0, K2 \
	VMOVAPS Z7, K2, Z0

// TANH_INIT loads exp's constants and tanh's: Z11-Z15 the polynomial,
// Z28 the magnitude mask, Z29 2, Z30 0.625.
#define TANH_INIT \
	EXP_INIT \
	VBROADCASTSS z_tanhT0<>(SB), Z11 \
	VBROADCASTSS z_tanhT1<>(SB), Z12 \
	VBROADCASTSS z_tanhT2<>(SB), Z13 \
	VBROADCASTSS z_tanhT3<>(SB), Z14 \
	VBROADCASTSS z_tanhT4<>(SB), Z15 \
	VBROADCASTSS z_absMask<>(SB), Z28 \
	VBROADCASTSS z_two<>(SB), Z29 \
	VBROADCASTSS z_c0625<>(SB), Z30

// TANH_Z sets Z0 = tanh Z0 (clobbers Z1-Z4, Z8, K2), TANH_PS's operations:
// a = |x|, 1 - 2/(e^(2a)+1) where 0.625 < a (written over the polynomial
// by a masked subtraction), else the odd polynomial, and x's sign put
// back: Z0 = r | (x &^ absMask), VPTERNLOGD's table 0xdc.
#define TANH_Z \
	VPANDD Z28, Z0, Z8 \
	VADDPS Z8, Z8, Z4 \
	EXP_HI(Z4) \
	EXP_REST(Z4) \
	VADDPS Z27, Z4, Z4 \
	VDIVPS Z4, Z29, Z4 \
	VMULPS Z8, Z8, Z1 \
	VMOVAPS Z11, Z3 \
	VFMADD213PS Z12, Z1, Z3 \
	VFMADD213PS Z13, Z1, Z3 \
	VFMADD213PS Z14, Z1, Z3 \
	VFMADD213PS Z15, Z1, Z3 \
	VMULPS Z1, Z3, Z3 \
	VFMADD213PS Z8, Z8, Z3 \
	VCMPPS $1, Z8, Z30, K2 \
	VSUBPS Z4, Z27, K2, Z3 \
	VPTERNLOGD $0xdc, Z28, Z3, Z0

// SIGMOID_INIT loads exp's constants and Z29, the sign mask.
#define SIGMOID_INIT \
	EXP_INIT \
	VBROADCASTSS z_signMask<>(SB), Z29

// SIGMOID_Z sets Z0 = 1/(1+e^-Z0) (clobbers Z1-Z5, K2), SIGMOID_PS's
// operations: e = e^-|x| (-|x| is x with the sign bit set), d = 1+e, its
// rounding error δ = (1-d)+e, n = e where x's sign bit is set, else 1,
// and q + (fma(-q, d, n) - q·δ)/d for q = n/d.
#define SIGMOID_Z \
	VPORD Z29, Z0, Z5 \
	EXP_LO(Z5) \
	EXP_REST(Z5) \
	VADDPS Z27, Z5, Z2 \
	VSUBPS Z2, Z27, Z3 \
	VADDPS Z5, Z3, Z3 \
	VPTESTMD Z29, Z0, K2 \
	VBLENDMPS Z5, Z27, K2, Z1 \
	VDIVPS Z2, Z1, Z4 \
	VFNMADD231PS Z4, Z2, Z1 \
	VFNMADD231PS Z4, Z3, Z1 \
	VDIVPS Z2, Z1, Z1 \
	VADDPS Z1, Z4, Z0

// UNARY_Z loops over n elements, applying BODY to Z0: 32 at a time (two
// vectors one after the other: fewer loop instructions competing with
// BODY's for the vector ports), then 16, then the last n%16 through the
// mask K1. STORE stores a full vector; HEAD, run first, may process a
// few elements itself (NT_HEAD); PF may prefetch src ahead; FENCE ends
// the stores.
#define UNARY_Z(INIT, BODY, HEAD, STORE, PF, FENCE) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	INIT \
	HEAD(BODY) \
	SUBQ $32, CX \
	JB   one \
loop: \
	PF \
	VMOVUPS (SI), Z0 \
	BODY \
	STORE Z0, (DI) \
	VMOVUPS 64(SI), Z0 \
	BODY \
	STORE Z0, 64(DI) \
	ADDQ $128, SI \
	ADDQ $128, DI \
	SUBQ $32, CX \
	JAE  loop \
one: \
	ADDQ $32, CX \
	CMPQ CX, $16 \
	JB   tail \
	VMOVUPS (SI), Z0 \
	BODY \
	STORE Z0, (DI) \
	ADDQ $64, SI \
	ADDQ $64, DI \
	SUBQ $16, CX \
tail: \
	TESTQ CX, CX \
	JZ   done \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	KMOVW AX, K1 \
	VMOVUPS.Z (SI), K1, Z0 \
	BODY \
	VMOVUPS Z0, K1, (DI) \
done: \
	FENCE \
	VZEROUPPER \
	RET

#define NOHEAD(BODY)
#define NOFENCE
#define NOPF

// PF2K prefetches the two lines of src 2 KiB ahead of the loop: with
// non-temporal stores on one thread that took exp on 16M values from 5.1
// to 4.8 ms and tanh from 6.6 to 6.0 ms (the hardware prefetcher alone
// ran dry between the vector work); 1 and 4 KiB did about as well.
#define PF2K PREFETCHT0 2048(SI); PREFETCHT0 2112(SI)

// NT_HEAD processes the elements before dst's first 64-byte boundary (at
// most n) through a mask, so that the loop's non-temporal stores
// (VMOVNTPS) are aligned; float32 pointers are 4-byte aligned.
#define NT_HEAD(BODY) \
	MOVQ DI, BX \
	NEGQ BX \
	ANDQ $63, BX \
	SHRQ $2, BX \
	CMPQ BX, CX \
	CMOVQHI CX, BX \
	TESTQ BX, BX \
	JZ   aligned \
	SUBQ BX, CX \
	MOVQ CX, DX \
	MOVQ BX, CX \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	KMOVW AX, K1 \
	MOVQ DX, CX \
	VMOVUPS.Z (SI), K1, Z0 \
	BODY \
	VMOVUPS Z0, K1, (DI) \
	LEAQ (SI)(BX*4), SI \
	LEAQ (DI)(BX*4), DI \
aligned:

// func expF32AVX512(dst, src *float32, n int)
TEXT ·expF32AVX512(SB), NOSPLIT, $0-24
	UNARY_Z(EXP_INIT, EXP_Z(Z0), NOHEAD, VMOVUPS, NOPF, NOFENCE)

// func logF32AVX512(dst, src *float32, n int)
TEXT ·logF32AVX512(SB), NOSPLIT, $0-24
	UNARY_Z(LOG_INIT, LOG_Z, NOHEAD, VMOVUPS, NOPF, NOFENCE)

// func tanhF32AVX512(dst, src *float32, n int)
TEXT ·tanhF32AVX512(SB), NOSPLIT, $0-24
	UNARY_Z(TANH_INIT, TANH_Z, NOHEAD, VMOVUPS, NOPF, NOFENCE)

// func sigmoidF32AVX512(dst, src *float32, n int)
TEXT ·sigmoidF32AVX512(SB), NOSPLIT, $0-24
	UNARY_Z(SIGMOID_INIT, SIGMOID_Z, NOHEAD, VMOVUPS, NOPF, NOFENCE)

// The same with non-temporal stores, for outputs far beyond the caches:
// they spare reading dst's lines before writing them (exp on 16M values,
// one thread: 6.0 ms with ordinary stores, 5.1 without prefetching).

// func expF32AVX512NT(dst, src *float32, n int)
TEXT ·expF32AVX512NT(SB), NOSPLIT, $0-24
	UNARY_Z(EXP_INIT, EXP_Z(Z0), NT_HEAD, VMOVNTPS, PF2K, SFENCE)

// func logF32AVX512NT(dst, src *float32, n int)
TEXT ·logF32AVX512NT(SB), NOSPLIT, $0-24
	UNARY_Z(LOG_INIT, LOG_Z, NT_HEAD, VMOVNTPS, PF2K, SFENCE)

// func tanhF32AVX512NT(dst, src *float32, n int)
TEXT ·tanhF32AVX512NT(SB), NOSPLIT, $0-24
	UNARY_Z(TANH_INIT, TANH_Z, NT_HEAD, VMOVNTPS, PF2K, SFENCE)

// func sigmoidF32AVX512NT(dst, src *float32, n int)
TEXT ·sigmoidF32AVX512NT(SB), NOSPLIT, $0-24
	UNARY_Z(SIGMOID_INIT, SIGMOID_Z, NT_HEAD, VMOVNTPS, PF2K, SFENCE)
