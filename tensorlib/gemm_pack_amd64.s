//go:build amd64

#include "textflag.h"

// AVX-512 gathers that pack strided operands into the GEMM's micro-panels
// (see packA and packB in gemm.go): row p of the panel is lanes values of
// the source, stride apart, then zeros up to the panel's width; the next
// row starts step further on. They replace scalar copies where the values
// of a panel row are not contiguous in the source (a row-major A, where a
// panel row is a column of A, or a column-major B: a transposed operand)
// and the partial panels at the edges of any operand.

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

// func gatherPanel32(dst, src *float32, k, step, stride, lanes, width int)
// dst[p*width+l] = src[p*step+l*stride] for p < k, l < lanes, and zero
// for lanes ≤ l < width ≤ 32; (lanes-1)·stride must fit in an int32.
// A stride of 1 is read with masked loads instead of gathers.
TEXT ·gatherPanel32(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ step+24(FP), R8
	MOVQ stride+32(FP), R9
	SHLQ $2, R8
	// Z2: l·stride for lanes 0..15, Z3 for lanes 16..31.
	VPBROADCASTD R9, Z4
	VPMULLD gatherLanes<>+0(SB), Z4, Z2
	VPSLLD $4, Z4, Z5
	VPADDD Z5, Z2, Z3
	// K3, K4: the lanes read in each half; K5, K6: the lanes stored.
	MOVQ lanes+40(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K3
	SHRQ $16, AX
	KMOVW AX, K4
	MOVQ width+48(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K5
	SHRQ $16, AX
	KMOVW AX, K6
	MOVQ width+48(FP), R10
	SHLQ $2, R10
	MOVQ k+16(FP), CX
	TESTQ CX, CX
	JZ gather32_done
	CMPQ R9, $1
	JEQ gather32_contig
gather32_loop:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	KMOVW K3, K1
	KMOVW K4, K2
	VGATHERDPS (SI)(Z2*4), K1, Z0
	KORTESTW K2, K2
	JZ gather32_store
	VGATHERDPS (SI)(Z3*4), K2, Z1
gather32_store:
	VMOVUPS Z0, K5, (DI)
	VMOVUPS Z1, K6, 64(DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather32_loop
	JMP gather32_done
gather32_contig:
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z 64(SI), K4, Z1
	VMOVUPS Z0, K5, (DI)
	VMOVUPS Z1, K6, 64(DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather32_contig
gather32_done:
	VZEROUPPER
	RET

// func gatherPanel64(dst, src *float64, k, step, stride, lanes, width int)
// dst[p*width+l] = src[p*step+l*stride] for p < k, l < lanes, and zero
// for lanes ≤ l < width ≤ 16; (lanes-1)·stride must fit in an int32.
// A stride of 1 is read with masked loads instead of gathers.
TEXT ·gatherPanel64(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ step+24(FP), R8
	MOVQ stride+32(FP), R9
	SHLQ $3, R8
	// Y2: l·stride for lanes 0..7, Y3 for lanes 8..15.
	VPBROADCASTD R9, Y4
	VPMULLD gatherLanes<>+0(SB), Y4, Y2
	VPSLLD $3, Y4, Y5
	VPADDD Y5, Y2, Y3
	// K3, K4: the lanes read in each half; K5, K6: the lanes stored.
	MOVQ lanes+40(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K3
	SHRQ $8, AX
	KMOVW AX, K4
	MOVQ width+48(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K5
	SHRQ $8, AX
	KMOVW AX, K6
	MOVQ width+48(FP), R10
	SHLQ $3, R10
	MOVQ k+16(FP), CX
	TESTQ CX, CX
	JZ gather64_done
	CMPQ R9, $1
	JEQ gather64_contig
gather64_loop:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	KMOVW K3, K1
	KMOVW K4, K2
	VGATHERDPD (SI)(Y2*8), K1, Z0
	KORTESTW K2, K2
	JZ gather64_store
	VGATHERDPD (SI)(Y3*8), K2, Z1
gather64_store:
	VMOVUPD Z0, K5, (DI)
	VMOVUPD Z1, K6, 64(DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather64_loop
	JMP gather64_done
gather64_contig:
	VMOVUPD.Z (SI), K3, Z0
	VMOVUPD.Z 64(SI), K4, Z1
	VMOVUPD Z0, K5, (DI)
	VMOVUPD Z1, K6, 64(DI)
	ADDQ R8, SI
	ADDQ R10, DI
	DECQ CX
	JNZ gather64_contig
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
