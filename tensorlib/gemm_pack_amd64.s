//go:build amd64

#include "textflag.h"

// AVX-512 gathers that pack strided operands into the GEMM's micro-panels
// (see packA and packB in gemm.go): row p of the panel is lanes values of
// the source, stride apart, and the next row starts step further on. They
// replace scalar copies where the values of a panel row are not
// contiguous in the source: a row-major A (a panel row is a column of A)
// or a column-major B (a transposed operand).

// Lane numbers 0..15, the gather indices before scaling by the stride.
DATA gatherLanes<>+0(SB)/4, $0
DATA gatherLanes<>+4(SB)/4, $1
DATA gatherLanes<>+8(SB)/4, $2
DATA gatherLanes<>+12(SB)/4, $3
DATA gatherLanes<>+16(SB)/4, $4
DATA gatherLanes<>+20(SB)/4, $5
DATA gatherLanes<>+24(SB)/4, $6
DATA gatherLanes<>+28(SB)/4, $7
DATA gatherLanes<>+32(SB)/4, $8
DATA gatherLanes<>+36(SB)/4, $9
DATA gatherLanes<>+40(SB)/4, $10
DATA gatherLanes<>+44(SB)/4, $11
DATA gatherLanes<>+48(SB)/4, $12
DATA gatherLanes<>+52(SB)/4, $13
DATA gatherLanes<>+56(SB)/4, $14
DATA gatherLanes<>+60(SB)/4, $15
GLOBL gatherLanes<>(SB), RODATA|NOPTR, $64

// func gatherPanel32(dst, src *float32, k, step, stride, lanes int)
// dst[p*lanes+l] = src[p*step+l*stride] for p < k, l < lanes ≤ 32;
// (lanes-1)·stride must fit in an int32.
TEXT ·gatherPanel32(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ k+16(FP), CX
	MOVQ step+24(FP), R8
	MOVQ stride+32(FP), R9
	MOVQ lanes+40(FP), R10
	SHLQ $2, R8
	// Z2: l·stride for lanes 0..15, Z3 for lanes 16..31.
	VPBROADCASTD R9, Z4
	VPMULLD gatherLanes<>+0(SB), Z4, Z2
	VPSLLD $4, Z4, Z5
	VPADDD Z5, Z2, Z3
	// K3, K4: the valid lanes of each half.
	MOVQ R10, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K3
	SHRQ $16, AX
	KMOVW AX, K4
	MOVQ k+16(FP), CX
	SHLQ $2, R10
	TESTQ CX, CX
	JZ gather32_done
	CMPQ R10, $64
	JGT gather32_two
gather32_one:
	KMOVW K3, K1
	VGATHERDPS (SI)(Z2*4), K1, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather32_one
	JMP gather32_done
gather32_two:
	KMOVW K3, K1
	KMOVW K4, K2
	VGATHERDPS (SI)(Z2*4), K1, Z0
	VGATHERDPS (SI)(Z3*4), K2, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, K4, 64(DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather32_two
gather32_done:
	VZEROUPPER
	RET

// func gatherPanel64(dst, src *float64, k, step, stride, lanes int)
// dst[p*lanes+l] = src[p*step+l*stride] for p < k, l < lanes ≤ 16;
// (lanes-1)·stride must fit in an int32.
TEXT ·gatherPanel64(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ k+16(FP), CX
	MOVQ step+24(FP), R8
	MOVQ stride+32(FP), R9
	MOVQ lanes+40(FP), R10
	SHLQ $3, R8
	// Y2: l·stride for lanes 0..7, Y3 for lanes 8..15.
	VPBROADCASTD R9, Y4
	VPMULLD gatherLanes<>+0(SB), Y4, Y2
	VPSLLD $3, Y4, Y5
	VPADDD Y5, Y2, Y3
	MOVQ R10, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K3
	SHRQ $8, AX
	KMOVW AX, K4
	MOVQ k+16(FP), CX
	SHLQ $3, R10
	TESTQ CX, CX
	JZ gather64_done
	CMPQ R10, $64
	JGT gather64_two
gather64_one:
	KMOVW K3, K1
	VGATHERDPD (SI)(Y2*8), K1, Z0
	VMOVUPD Z0, K3, (DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather64_one
	JMP gather64_done
gather64_two:
	KMOVW K3, K1
	KMOVW K4, K2
	VGATHERDPD (SI)(Y2*8), K1, Z0
	VGATHERDPD (SI)(Y3*8), K2, Z1
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, K4, 64(DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather64_two
gather64_done:
	VZEROUPPER
	RET

// func copyPanelRows(dst, src unsafe.Pointer, panels, rowBytes, pstride int)
// Copies row p of consecutive panels of a row-major B: for q < panels,
// rowBytes bytes (a multiple of 32) from src+q·rowBytes to dst+q·pstride.
// AVX only (32-byte moves).
TEXT ·copyPanelRows(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ panels+16(FP), CX
	MOVQ rowBytes+24(FP), R8
	MOVQ pstride+32(FP), R9
	TESTQ CX, CX
	JZ copyrows_done
	CMPQ R8, $128
	JEQ copyrows_128
copyrows_panel:
	XORQ AX, AX
copyrows_block:
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, R8
	JLT copyrows_block
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ copyrows_panel
	JMP copyrows_done
copyrows_128:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ R9, DI
	DECQ CX
	JNZ copyrows_128
copyrows_done:
	VZEROUPPER
	RET
