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

// func transposePanel32(dst, src *float32, blocks, cs int)
// Packs 16·blocks rows of a full 32-wide panel of a column-major B:
// dst[p*32+j] = src[j*cs+p] for p < 16·blocks, j < 32, transposing 16×16
// blocks in registers (64 shuffles per 256 values, about three times the
// speed of gathers). Column j of a block is loaded from src + j·cs;
// unpacks within 128-bit lanes, then 128-bit lane shuffles, turn the 16
// columns (Z0..Z15) into the 16 rows.
TEXT ·transposePanel32(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ cs+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	TESTQ CX, CX
	JZ transpose32_done
transpose32_block:
	MOVQ SI, BX
	XORQ DX, DX
transpose32_half:
	LEAQ (BX)(R8*4), R10
	LEAQ (BX)(R8*8), R11
	LEAQ (R11)(R8*4), R12
	VMOVUPS (BX), Z0
	VMOVUPS (BX)(R8*1), Z1
	VMOVUPS (BX)(R8*2), Z2
	VMOVUPS (BX)(R9*1), Z3
	VMOVUPS (R10), Z4
	VMOVUPS (R10)(R8*1), Z5
	VMOVUPS (R10)(R8*2), Z6
	VMOVUPS (R10)(R9*1), Z7
	VMOVUPS (R11), Z8
	VMOVUPS (R11)(R8*1), Z9
	VMOVUPS (R11)(R8*2), Z10
	VMOVUPS (R11)(R9*1), Z11
	VMOVUPS (R12), Z12
	VMOVUPS (R12)(R8*1), Z13
	VMOVUPS (R12)(R8*2), Z14
	VMOVUPS (R12)(R9*1), Z15
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31
	VUNPCKLPD Z18, Z16, Z0
	VUNPCKHPD Z18, Z16, Z1
	VUNPCKLPD Z19, Z17, Z2
	VUNPCKHPD Z19, Z17, Z3
	VUNPCKLPD Z22, Z20, Z4
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0x88, Z5, Z1, Z17
	VSHUFF32X4 $0x88, Z6, Z2, Z18
	VSHUFF32X4 $0x88, Z7, Z3, Z19
	VSHUFF32X4 $0xdd, Z4, Z0, Z20
	VSHUFF32X4 $0xdd, Z5, Z1, Z21
	VSHUFF32X4 $0xdd, Z6, Z2, Z22
	VSHUFF32X4 $0xdd, Z7, Z3, Z23
	VSHUFF32X4 $0x88, Z12, Z8, Z24
	VSHUFF32X4 $0x88, Z13, Z9, Z25
	VSHUFF32X4 $0x88, Z14, Z10, Z26
	VSHUFF32X4 $0x88, Z15, Z11, Z27
	VSHUFF32X4 $0xdd, Z12, Z8, Z28
	VSHUFF32X4 $0xdd, Z13, Z9, Z29
	VSHUFF32X4 $0xdd, Z14, Z10, Z30
	VSHUFF32X4 $0xdd, Z15, Z11, Z31
	VSHUFF32X4 $0x88, Z24, Z16, Z0
	VSHUFF32X4 $0x88, Z25, Z17, Z1
	VSHUFF32X4 $0x88, Z26, Z18, Z2
	VSHUFF32X4 $0x88, Z27, Z19, Z3
	VSHUFF32X4 $0x88, Z28, Z20, Z4
	VSHUFF32X4 $0x88, Z29, Z21, Z5
	VSHUFF32X4 $0x88, Z30, Z22, Z6
	VSHUFF32X4 $0x88, Z31, Z23, Z7
	VSHUFF32X4 $0xdd, Z24, Z16, Z8
	VSHUFF32X4 $0xdd, Z25, Z17, Z9
	VSHUFF32X4 $0xdd, Z26, Z18, Z10
	VSHUFF32X4 $0xdd, Z27, Z19, Z11
	VSHUFF32X4 $0xdd, Z28, Z20, Z12
	VSHUFF32X4 $0xdd, Z29, Z21, Z13
	VSHUFF32X4 $0xdd, Z30, Z22, Z14
	VSHUFF32X4 $0xdd, Z31, Z23, Z15
	VMOVUPS Z0, 0(DI)(DX*1)
	VMOVUPS Z1, 128(DI)(DX*1)
	VMOVUPS Z2, 256(DI)(DX*1)
	VMOVUPS Z3, 384(DI)(DX*1)
	VMOVUPS Z4, 512(DI)(DX*1)
	VMOVUPS Z5, 640(DI)(DX*1)
	VMOVUPS Z6, 768(DI)(DX*1)
	VMOVUPS Z7, 896(DI)(DX*1)
	VMOVUPS Z8, 1024(DI)(DX*1)
	VMOVUPS Z9, 1152(DI)(DX*1)
	VMOVUPS Z10, 1280(DI)(DX*1)
	VMOVUPS Z11, 1408(DI)(DX*1)
	VMOVUPS Z12, 1536(DI)(DX*1)
	VMOVUPS Z13, 1664(DI)(DX*1)
	VMOVUPS Z14, 1792(DI)(DX*1)
	VMOVUPS Z15, 1920(DI)(DX*1)
	LEAQ (BX)(R8*8), BX
	LEAQ (BX)(R8*8), BX
	ADDQ $64, DX
	CMPQ DX, $128
	JLT transpose32_half
	ADDQ $64, SI
	ADDQ $2048, DI
	DECQ CX
	JNZ transpose32_block
transpose32_done:
	VZEROUPPER
	RET
