package tensorlib

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Packed matrix multiplication for float32 and float64, after BLIS: the
// operands are copied into contiguous micro-panels (which is also how
// transposed and strided operands are handled: nothing is transposed in
// memory first), and a register-blocked microkernel computes one MR×NR
// tile of C at a time.
//
//	for jc over N in chunks of NC:
//	  pack B[:, jc:jc+NC] into KC×NR panels       (phase 1: units of panels)
//	  for each block of rows ic of A:              (phase 2: units of rows)
//	    for pc over K in steps of KC:
//	      pack A[ic:ic+MC, pc:pc+KC] into MR×KC panels  (MC×KC: in L2)
//	      for jr over the B panels of step pc:          (KC×NR: in L1)
//	        for ir over the A panels:
//	          C[ir:ir+MR, jr:jr+NR] += Ã·B̃   (microkernel)
//
// Each phase is a list of independent units that the calling goroutine and
// up to GOMAXPROCS-1 helper goroutines claim with an atomic counter, and
// nobody starts a phase before the previous one is complete. Nobody ever
// waits for a helper that has not started yet: on a virtual machine waking
// an idle CPU takes some 100µs, so helpers stay awake (spinning) for a
// while after each product, and a late one simply finds fewer units left.
//
// Thin products (few columns, e.g. an MLP's output layer) read A in place
// instead of packing it: each value of A is used once or twice only.

// gemmKernel adds one MR×NR tile of A·B to C, or its first m ≤ MR rows
// and n ≤ NR columns: c[i*ldc+j] += Σ_p a[i*rsa+p*csa]·b[p*NR+j] for
// i < m, j < n, p < k. A packed micro-panel has rsa = 1, csa = MR; A can
// also be read in place (all MR rows are read whatever m).
type gemmKernel[T float] func(k int, a *T, rsa, csa int, b, c *T, ldc, n, m int)

// gemmBlocking holds the register tile (mr×nr) and the cache blocks.
type gemmBlocking struct{ mr, nr, mc, kc int }

// gemmImpl is a microkernel with the cache blocking chosen for it, and
// optionally a narrower kernel for products whose short side fits its NR
// (an MLP's output layer of ten units): fewer of its lanes are padding.
type gemmImpl[T float] struct {
	name   string
	kern   gemmKernel[T]
	bl     gemmBlocking
	narrow *gemmImpl[T]
	// gather, if not nil, packs a panel whose rows are strided in the
	// source, or partial: dst[p*width+l] = src[p*step+l*stride] for
	// p < k, l < lanes, and zeros up to width (the AVX-512 gathers of
	// gemm_pack_amd64.s).
	gather func(dst, src *T, k, step, stride, lanes, width int)
	// copyRows, if not nil, copies row p of consecutive panels of a
	// row-major B: for q < panels, rowBytes bytes from src+q·rowBytes
	// to dst+q·pstride (the AVX moves of gemm_pack_amd64.s; a Go copy of
	// a panel row calls memmove, which costs more than the copy).
	copyRows func(dst, src unsafe.Pointer, panels, rowBytes, pstride int)
}

// gemmMaxTile bounds MR·NR over all kernels (the AVX-512 ones are 12×32
// and 12×16): the size of the buffer that partial tiles are computed in.
const gemmMaxTile = 384

// The portable kernels (gemm_generic.go), with the AVX2 blocking.
var (
	sgemmGo = gemmImpl[float32]{"go", sgemmKernelGo, gemmBlocking{mr: 6, nr: 16, mc: 144, kc: 256}, nil, nil, nil}
	dgemmGo = gemmImpl[float64]{"go", dgemmKernelGo, gemmBlocking{mr: 6, nr: 8, mc: 72, kc: 256}, nil, nil, nil}
)

var (
	// sgemmImpls and dgemmImpls list the kernels this CPU can run, the
	// fastest first; gemm_amd64.go adds the assembly ones. The tests run
	// each of them.
	sgemmImpls = []gemmImpl[float32]{sgemmGo}
	dgemmImpls = []gemmImpl[float64]{dgemmGo}

	// The kernels in use: the first of the lists.
	sgemmImpl = sgemmGo
	dgemmImpl = dgemmGo
	// hasGEMMAsm is set where assembly kernels are in use.
	hasGEMMAsm bool
)

// useGEMMImpls makes s and d the kernels in use.
func useGEMMImpls(s gemmImpl[float32], d gemmImpl[float64]) {
	sgemmImpl, dgemmImpl = s, d
	hasGEMMAsm = s.name != "go"
}

var (
	// gemmMinFlops: below this many multiply-adds the reference kernel,
	// with no packing, is as fast.
	gemmMinFlops = 2048
	// gemmFlopsPerWorker: each goroutine beyond the first needs at least
	// this many multiply-adds (some 10µs with the AVX-512 kernels) to pay
	// for handing it work.
	gemmFlopsPerWorker = 1 << 20
	// gemmMaxPackedB bounds the packed copy of B (K×NC elements).
	gemmMaxPackedB = 1 << 21
	// gemmHelperSpin is how long an idle helper polls for the next product
	// before it sleeps.
	gemmHelperSpin = time.Millisecond
)

// gemmFast computes c = A·B (c holds zeros on entry, row-major n×m as in
// gemm) with the packed kernels and reports whether it did: only float32
// and float64 products that are not tiny take this path.
func gemmFast[T number](c, a []T, am matView, b []T, bm matView, n, k, m int) bool {
	if n*k*m < gemmMinFlops {
		return false
	}
	switch cc := any(c).(type) {
	case []float32:
		packedGEMM(cc, m, 1, any(a).([]float32), am, any(b).([]float32), bm, n, k, m, sgemmImpl)
	case []float64:
		packedGEMM(cc, m, 1, any(a).([]float64), am, any(b).([]float64), bm, n, k, m, dgemmImpl)
	default:
		return false
	}
	return true
}

// tileEfficiency is the fraction of the padded MR×NR tiles that covers an
// m×n product.
func tileEfficiency(m, n, mr, nr int) float64 {
	return float64(m*n) / float64(ceilDiv(m, mr)*mr*ceilDiv(n, nr)*nr)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// packedGEMM adds A·B (m×k by k×n) to C, whose element (i, j) is
// c[i*crs+j*ccs]. It panics with ErrInterrupted if interrupted (leaving C
// partly updated).
func packedGEMM[T float](c []T, crs, ccs int, a []T, am matView, b []T, bm matView, m, k, n int, im gemmImpl[T]) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	bl := im.bl
	// A product may be computed as Cᵀ = Bᵀ·Aᵀ instead (swapping the
	// operands' roles and strides). Thin products (an output layer's ten
	// columns, or ten rows) are arranged to have the short side along N,
	// where A is read in place; others to waste less of the padded tiles.
	thin := 2 * bl.nr
	swap := tileEfficiency(n, m, bl.mr, bl.nr) > tileEfficiency(m, n, bl.mr, bl.nr)*1.05
	if m <= thin && n > thin {
		swap = true
	} else if n <= thin && m > thin {
		swap = false
	}
	if swap {
		m, n = n, m
		a, b = b, a
		am, bm = matView{bm.off, bm.cs, bm.rs}, matView{am.off, am.cs, am.rs}
		crs, ccs = ccs, crs
	}
	if im.narrow != nil && n <= im.narrow.bl.nr {
		im = *im.narrow
		bl = im.bl
	}
	g := &gemmJob[T]{m: m, n: n, k: k, a: a, am: am, b: b, bm: bm, c: c, crs: crs, ccs: ccs, kern: im.kern, bl: bl, gather: im.gather, copyRows: im.copyRows}
	g.directA = n <= thin && (am.cs == 1 || am.rs <= 1)
	g.kc = ceilDiv(k, ceilDiv(k, bl.kc))
	np := ceilDiv(n, bl.nr)
	chunkPanels := max(1, min(np, gemmMaxPackedB/(k*bl.nr)))
	g.chunks = ceilDiv(np, chunkPanels)
	g.nc = ceilDiv(np, g.chunks) * bl.nr
	workers := min(runtime.GOMAXPROCS(0), max(1, m*n*k/gemmFlopsPerWorker))
	g.plan(workers)
	g.claimed = make([]atomic.Int32, 2*g.chunks)
	g.done = make([]atomic.Int32, 2*g.chunks)

	bp := getPackBuf[T](k * g.nc)
	g.bpack = bp.data
	var posted *gemmPosted
	if workers > 1 {
		posted = postGEMM(g, workers-1)
	}
	g.participate()
	if posted != nil {
		unpostGEMM(posted)
	}
	putPackBuf(bp)
	if g.failed.Load() {
		panic(g.panicked)
	}
}

// gemmJob is one product, computed by one or more participants.
type gemmJob[T float] struct {
	m, n, k  int
	a        []T
	am       matView
	b        []T
	bm       matView
	c        []T
	crs      int
	ccs      int
	kern     gemmKernel[T]
	bl       gemmBlocking
	gather   func(dst, src *T, k, step, stride, lanes, width int)
	copyRows func(dst, src unsafe.Pointer, panels, rowBytes, pstride int)
	directA  bool // A is read in place, only a last partial panel packed

	kc     int // the K step, balanced
	nc     int // columns per chunk (a multiple of NR)
	chunks int
	bpack  []T // the packed chunk of B: K step s at bpack[pc*nc:]

	rb       int // rows per row block (a multiple of MR)
	rowBlks  int
	colGrps  int // column groups per chunk
	bGroup   int // B panels per packing unit
	workers  int
	claimed  []atomic.Int32 // per phase: units handed out
	done     []atomic.Int32 // per phase: units finished
	failed   atomic.Bool
	mu       sync.Mutex
	panicked any
}

// gemmUnitsPerWorker is how many units of multiplication each participant
// should have on average: with fewer, a participant that starts late or
// runs slower leaves the others idle at the end of a phase.
const gemmUnitsPerWorker = 8

// plan sizes the units for the given number of participants: row blocks
// of at most MC rows, enough of them (with column groups if rows are few)
// to balance the work when the participants are several.
func (g *gemmJob[T]) plan(workers int) {
	mr := g.bl.mr
	g.workers = workers
	rowPanels := ceilDiv(g.m, mr)
	perBlock := max(1, g.bl.mc/mr)
	want := gemmUnitsPerWorker * workers
	if workers > 1 {
		// Rounded down, so that there are at least want blocks where
		// rows allow: rounding up left as few as want/2 + 1.
		perBlock = min(perBlock, max(1, rowPanels/want))
	}
	g.rowBlks = ceilDiv(rowPanels, perBlock)
	g.rb = perBlock * mr
	g.colGrps = 1
	panels := g.nc / g.bl.nr
	if workers > 1 && g.rowBlks < want {
		// Too few rows: column groups too, each packing its rows of A
		// again.
		g.colGrps = min(panels, ceilDiv(want, g.rowBlks))
	}
	g.bGroup = panels
	if workers > 1 {
		g.bGroup = max(1, ceilDiv(panels, 4*workers))
	}
}

// chunk returns the first column and width of chunk j.
func (g *gemmJob[T]) chunk(j int) (jc, ncb int) {
	jc = j * g.nc
	return jc, min(g.nc, g.n-jc)
}

// units is the number of units of phase ph: even phases pack a chunk of B,
// odd ones multiply by it.
func (g *gemmJob[T]) units(ph int) int {
	_, ncb := g.chunk(ph / 2)
	np := ceilDiv(ncb, g.bl.nr)
	if ph%2 == 0 {
		return ceilDiv(np, g.bGroup)
	}
	return g.rowBlks * ceilDiv(np, ceilDiv(np, g.colGrps))
}

// participate claims and runs units phase by phase until all are done.
func (g *gemmJob[T]) participate() {
	var apack *packBuf[T]
	defer func() {
		if apack != nil {
			putPackBuf(apack)
		}
	}()
	var tile [gemmMaxTile]T
	for ph := 0; ph < 2*g.chunks; ph++ {
		n := int32(g.units(ph))
		for {
			u := g.claimed[ph].Add(1) - 1
			if u >= n {
				break
			}
			if ph%2 == 1 && apack == nil {
				apack = getPackBuf[T](min(g.rb, g.bl.mc) * g.kc)
			}
			g.unit(ph, int(u), apack, &tile)
		}
		g.waitPhase(ph, n)
	}
}

// unit runs unit u of phase ph, recording a panic (or an interrupt) as
// the product's failure; once failed, the remaining units do nothing.
func (g *gemmJob[T]) unit(ph, u int, apack *packBuf[T], tile *[gemmMaxTile]T) {
	defer func() {
		if r := recover(); r != nil {
			g.mu.Lock()
			if !g.failed.Load() {
				g.panicked = r
				g.failed.Store(true)
			}
			g.mu.Unlock()
		}
		g.done[ph].Add(1)
	}()
	if g.failed.Load() {
		return
	}
	checkInterrupt()
	nr := g.bl.nr
	jc, ncb := g.chunk(ph / 2)
	np := ceilDiv(ncb, nr)
	if ph%2 == 0 {
		q0 := u * g.bGroup
		q1 := min(np, q0+g.bGroup)
		for pc := 0; pc < g.k; pc += g.kc {
			g.packB(g.bpack[pc*g.nc:], pc, min(g.kc, g.k-pc), jc, ncb, q0, q1)
		}
		return
	}
	perGroup := ceilDiv(np, g.colGrps)
	groups := ceilDiv(np, perGroup)
	r, cg := u/groups, u%groups
	c0, c1 := cg*perGroup, min(np, (cg+1)*perGroup)
	ic := r * g.rb
	mb := min(g.rb, g.m-ic)
	ap := apack.data
	mr := g.bl.mr
	// A block of rows taller than MC (a single participant has none)
	// is done MC rows at a time.
	for i0 := ic; i0 < ic+mb; i0 += g.bl.mc {
		ib := min(g.bl.mc, ic+mb-i0)
		for pc := 0; pc < g.k; pc += g.kc {
			kcb := min(g.kc, g.k-pc)
			if !g.directA {
				g.packA(ap, 0, i0, ib, pc, kcb)
			} else if full := ib / mr * mr; full < ib {
				g.packA(ap, full, i0+full, ib-full, pc, kcb)
			}
			g.macro(ap, g.bpack[pc*g.nc:], i0, ib, jc, ncb, pc, kcb, c0, c1, tile)
		}
	}
}

// waitPhase waits until the n units of phase ph are finished: only units
// already claimed by running participants are left, so the wait is
// short; it stops spinning after a while in case their CPU was taken.
func (g *gemmJob[T]) waitPhase(ph int, n int32) {
	for i := 0; g.done[ph].Load() < n; i++ {
		switch {
		case i < 1<<16:
			if i&255 == 255 {
				runtime.Gosched()
			}
		default:
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// macro multiplies the A block (rows ic..ic+mb, columns pc..pc+kcb;
// packed in ap, or read in place but for a last partial panel) by panels
// c0..c1 of the packed B block bp (columns from jc, ncb wide), adding into
// C.
func (g *gemmJob[T]) macro(ap, bp []T, ic, mb, jc, ncb, pc, kcb, c0, c1 int, tile *[gemmMaxTile]T) {
	mr, nr := g.bl.mr, g.bl.nr
	c, crs, ccs := g.c, g.crs, g.ccs
	a, am := g.a, g.am
	for jp := c0; jp < c1; jp++ {
		j := jp * nr
		nrEff := min(nr, ncb-j)
		bpanel := &bp[jp*kcb*nr]
		for i := 0; i < mb; i += mr {
			mrEff := min(mr, mb-i)
			apanel, rsa, csa := &ap[i*kcb], 1, mr
			if g.directA && mrEff == mr {
				apanel, rsa, csa = &a[am.off+(ic+i)*am.rs+pc*am.cs], am.rs, am.cs
			}
			ci, cj := ic+i, jc+j
			if ccs == 1 {
				g.kern(kcb, apanel, rsa, csa, bpanel, &c[ci*crs+cj], crs, nrEff, mrEff)
				continue
			}
			// A transposed C: the tile is computed apart, then added.
			clear(tile[:mr*nr])
			g.kern(kcb, apanel, rsa, csa, bpanel, &tile[0], nr, nr, mr)
			for ii := 0; ii < mrEff; ii++ {
				row := tile[ii*nr : ii*nr+nrEff]
				base := (ci+ii)*crs + cj*ccs
				if ccs == 1 {
					dst := c[base : base+nrEff]
					for jj, v := range row {
						dst[jj] += v
					}
				} else {
					for jj, v := range row {
						c[base+jj*ccs] += v
					}
				}
			}
		}
	}
}

// packA copies rows i0..i0+mb, columns p0..p0+kcb of A into MR-tall
// panels starting at dst[at*kcb]: panel r holds, for each p, the MR values
// A[i0+r·MR+i, p0+p] (zeros past the last row).
func (g *gemmJob[T]) packA(dst []T, at, i0, mb, p0, kcb int) {
	mr := g.bl.mr
	a, am := g.a, g.am
	for r := 0; r < mb; r += mr {
		d := dst[(at+r)*kcb : (at+r+mr)*kcb]
		rows := min(mr, mb-r)
		base := am.off + (i0+r)*am.rs + p0*am.cs
		switch {
		case am.rs == 1 && rows == mr:
			// Column-major A (a transposed operand): each column's MR
			// values are contiguous.
			packAColumns(d, a[base:], am.cs, kcb, mr)
		case g.canGather(a, base, am.cs, am.rs, kcb, rows):
			// Any other panel: each column of it gathered.
			g.gather(&d[0], &a[base], kcb, am.cs, am.rs, rows, mr)
		case am.cs == 1:
			// Row-major A: four rows read side by side, so that each
			// column of the panel is written in a few strokes.
			i := 0
			for ; i+4 <= rows; i += 4 {
				off := base + i*am.rs
				r0 := a[off : off+kcb]
				r1 := a[off+am.rs : off+am.rs+kcb]
				r2 := a[off+2*am.rs : off+2*am.rs+kcb]
				r3 := a[off+3*am.rs : off+3*am.rs+kcb]
				for p := range r0 {
					dd := d[p*mr+i : p*mr+i+4 : p*mr+i+4]
					dd[0], dd[1], dd[2], dd[3] = r0[p], r1[p], r2[p], r3[p]
				}
			}
			for ; i < rows; i++ {
				src := a[base+i*am.rs : base+i*am.rs+kcb]
				for p, v := range src {
					d[p*mr+i] = v
				}
			}
			if rows < mr {
				for p := 0; p < kcb; p++ {
					for i := rows; i < mr; i++ {
						d[p*mr+i] = 0
					}
				}
			}
		default:
			for i := 0; i < mr; i++ {
				if i >= rows {
					for p := 0; p < kcb; p++ {
						d[p*mr+i] = 0
					}
					continue
				}
				off := base + i*am.rs
				for p := 0; p < kcb; p++ {
					d[p*mr+i] = a[off+p*am.cs]
				}
			}
		}
	}
}

// packAColumns copies kcb columns of mr contiguous values, cs apart in
// src, to dst, with fixed-size copies for the kernels' heights.
func packAColumns[T float](dst, src []T, cs, kcb, mr int) {
	switch mr {
	case 12:
		for p := 0; p < kcb; p++ {
			*(*[12]T)(dst[p*12:]) = *(*[12]T)(src[p*cs:])
		}
	case 6:
		for p := 0; p < kcb; p++ {
			*(*[6]T)(dst[p*6:]) = *(*[6]T)(src[p*cs:])
		}
	default:
		for p := 0; p < kcb; p++ {
			copy(dst[p*mr:p*mr+mr], src[p*cs:p*cs+mr])
		}
	}
}

// packB copies panels q0..q1 of the block B[p0:p0+kcb, j0:j0+ncb] into
// NR-wide panels of dst: panel q holds, for each p, the NR values
// B[p0+p, j0+q·NR+j] (zeros past the last column).
func (g *gemmJob[T]) packB(dst []T, p0, kcb, j0, ncb, q0, q1 int) {
	nr := g.bl.nr
	b, bm := g.b, g.bm
	if bm.cs == 1 {
		// Row-major B: each row of the block is read once, left to right
		// (reading a panel's NR columns down K rows instead touches a
		// page per row), and cut into the panels' rows.
		full := min(q1, ncb/nr)
		var z T
		size := int(unsafe.Sizeof(z))
		fast := g.copyRows != nil && nr*size%32 == 0 && full > q0
		for p := 0; p < kcb; p++ {
			off := bm.off + (p0+p)*bm.rs + j0
			if fast {
				// Bounds checked here: the assembly is not.
				src := b[off+q0*nr : off+full*nr]
				d := dst[q0*kcb*nr+p*nr : (full-1)*kcb*nr+p*nr+nr]
				g.copyRows(unsafe.Pointer(&d[0]), unsafe.Pointer(&src[0]), full-q0, nr*size, kcb*nr*size)
			} else {
				for q := q0; q < full; q++ {
					copy(dst[q*kcb*nr+p*nr:q*kcb*nr+p*nr+nr], b[off+q*nr:off+q*nr+nr])
				}
			}
			if full < q1 && g.gather == nil {
				// The last, partial panel: a loop, as memmove and memclr
				// calls cost more than a few values each.
				cols := ncb - full*nr
				dd := dst[full*kcb*nr+p*nr : full*kcb*nr+p*nr+nr]
				src := b[off+full*nr : off+full*nr+cols]
				for j, v := range src {
					dd[j] = v
				}
				for j := cols; j < nr; j++ {
					dd[j] = 0
				}
			}
		}
		if full == q1 || g.gather == nil {
			return
		}
		q0 = full // the partial panel, gathered below
	}
	for q := q0; q < q1; q++ {
		d := dst[q*kcb*nr : (q+1)*kcb*nr]
		cols := min(nr, ncb-q*nr)
		base := bm.off + p0*bm.rs + (j0+q*nr)*bm.cs
		switch {
		case g.canGather(b, base, bm.rs, bm.cs, kcb, cols):
			// A panel of a column-major (or strided) B: each row of
			// the panel gathered.
			g.gather(&d[0], &b[base], kcb, bm.rs, bm.cs, cols, nr)
		case bm.rs == 1:
			// Column-major B (a transposed operand): each column is
			// contiguous; four columns are read side by side so that each
			// row of the panel is written in a few strokes.
			j := 0
			for ; j+4 <= cols; j += 4 {
				off := base + j*bm.cs
				s0 := b[off : off+kcb]
				s1 := b[off+bm.cs : off+bm.cs+kcb]
				s2 := b[off+2*bm.cs : off+2*bm.cs+kcb]
				s3 := b[off+3*bm.cs : off+3*bm.cs+kcb]
				for p := range s0 {
					dd := d[p*nr+j : p*nr+j+4 : p*nr+j+4]
					dd[0], dd[1], dd[2], dd[3] = s0[p], s1[p], s2[p], s3[p]
				}
			}
			for ; j < cols; j++ {
				s := b[base+j*bm.cs : base+j*bm.cs+kcb]
				for p, v := range s {
					d[p*nr+j] = v
				}
			}
			if cols < nr {
				for p := 0; p < kcb; p++ {
					clear(d[p*nr+cols : p*nr+nr])
				}
			}
		default:
			for p := 0; p < kcb; p++ {
				dd := d[p*nr : p*nr+nr]
				off := base + p*bm.rs
				for j := range cols {
					dd[j] = b[off+j*bm.cs]
				}
				clear(dd[cols:])
			}
		}
	}
}

// canGather reports whether g.gather can pack the lanes×k panel at src[base]
// whose rows are step apart and whose values in a row are stride apart:
// there is a gather, its int32 indices hold (lanes-1)·stride, and the
// panel lies in src (checked here, as the assembly reads unchecked).
func (g *gemmJob[T]) canGather(src []T, base, step, stride, k, lanes int) bool {
	if g.gather == nil || stride < 0 || step < 0 || (lanes-1)*stride >= 1<<31 {
		return false
	}
	_ = src[base+(k-1)*step+(lanes-1)*stride]
	return true
}

// gemmParticipant is a product that helpers can join.
type gemmParticipant interface{ participate() }

// gemmPosted is a product offered to the helpers, with the number of
// helpers that may still join it.
type gemmPosted struct {
	job   gemmParticipant
	slots atomic.Int32
}

// gemmHelpers are goroutines that join posted products. After each
// product they poll for the next for gemmHelperSpin, then sleep.
var gemmHelpers struct {
	mu      sync.Mutex
	cond    *sync.Cond
	started int
	posted  atomic.Pointer[gemmPosted]
	seq     atomic.Uint64
	parked  atomic.Int32
}

// postGEMM offers job to up to n helpers, starting helpers as needed. It
// returns nil (and the caller computes alone) while another product is
// posted.
func postGEMM(job gemmParticipant, n int) *gemmPosted {
	h := &gemmHelpers
	p := &gemmPosted{job: job}
	p.slots.Store(int32(n))
	if !h.posted.CompareAndSwap(nil, p) {
		return nil
	}
	h.seq.Add(1)
	if h.started < n || h.parked.Load() > 0 {
		h.mu.Lock()
		if h.cond == nil {
			h.cond = sync.NewCond(&h.mu)
		}
		for ; h.started < n; h.started++ {
			go gemmHelper()
		}
		h.cond.Broadcast()
		h.mu.Unlock()
	}
	return p
}

// unpostGEMM withdraws a finished product.
func unpostGEMM(p *gemmPosted) { gemmHelpers.posted.CompareAndSwap(p, nil) }

func gemmHelper() {
	h := &gemmHelpers
	var seen uint64
	for {
		spinUntil := time.Now().Add(gemmHelperSpin)
		for i := 0; h.seq.Load() == seen; i++ {
			if i&255 != 255 {
				continue
			}
			runtime.Gosched()
			if time.Now().After(spinUntil) {
				h.mu.Lock()
				h.parked.Add(1)
				for h.seq.Load() == seen {
					h.cond.Wait()
				}
				h.parked.Add(-1)
				h.mu.Unlock()
			}
		}
		seen = h.seq.Load()
		if p := h.posted.Load(); p != nil && p.slots.Add(-1) >= 0 {
			p.job.participate()
		}
	}
}

// packBuf is a pooled buffer for packed panels, 64-byte aligned.
type packBuf[T float] struct {
	raw  []T
	data []T
}

var packPool32, packPool64 sync.Pool

func packPool[T float]() *sync.Pool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return &packPool32
	}
	return &packPool64
}

// getPackBuf returns a buffer of at least n elements whose data starts on
// a cache line.
func getPackBuf[T float](n int) *packBuf[T] {
	p, _ := packPool[T]().Get().(*packBuf[T])
	if p == nil {
		p = &packBuf[T]{}
	}
	if cap(p.raw) < n+16 {
		p.raw = make([]T, n+16)
	}
	p.raw = p.raw[:cap(p.raw)]
	var z T
	addr := uintptr(unsafe.Pointer(&p.raw[0]))
	off := int((64-addr%64)%64) / int(unsafe.Sizeof(z))
	p.data = p.raw[off : off+n]
	return p
}

func putPackBuf[T float](p *packBuf[T]) { packPool[T]().Put(p) }
