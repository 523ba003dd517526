package tensorlib

// Strided iteration: every kernel that reads views goes through forEachRow,
// which walks the outer dimensions with an odometer and hands the innermost
// run to the caller, so inner loops stay tight and allocation-free.

// coalesce merges adjacent dimensions that are contiguous with each other in
// every operand, returning the reduced shape and strides.
func coalesce(shape []int, strides [][]int) ([]int, [][]int) {
	if len(shape) <= 1 {
		return shape, strides
	}
	// One allocation holds the merged shape and every operand's strides
	// (each with room for all dimensions), and one the slice headers.
	nd, nops := len(shape), len(strides)
	buf := make([]int, nd*(nops+1))
	ns := buf[:1:nd]
	ns[0] = shape[0]
	nst := make([][]int, nops)
	for k := range strides {
		nst[k] = buf[nd*(k+1) : nd*(k+1)+1 : nd*(k+2)]
		nst[k][0] = strides[k][0]
	}
	for i := 1; i < nd; i++ {
		last := len(ns) - 1
		merge := true
		for k := range strides {
			if nst[k][last] != strides[k][i]*shape[i] {
				merge = false
				break
			}
		}
		if shape[i] == 1 {
			continue
		}
		if ns[last] == 1 {
			ns[last] = shape[i]
			for k := range strides {
				nst[k][last] = strides[k][i]
			}
			continue
		}
		if merge {
			ns[last] *= shape[i]
			for k := range strides {
				nst[k][last] = strides[k][i]
			}
			continue
		}
		ns = append(ns, shape[i])
		for k := range strides {
			nst[k] = append(nst[k], strides[k][i])
		}
	}
	return ns, nst
}

// forEachRow calls fn once per run along the innermost dimension of shape.
// offs[k] is operand k's storage offset of the run's first element and
// inner[k] its stride along the run; n is the run's length. offs is reused
// between calls. The interrupt flag is polled every few runs.
func forEachRow(shape []int, strides [][]int, offsets []int, fn func(offs, inner []int, n int)) {
	if numelOf(shape) == 0 {
		return
	}
	shape, strides = coalesce(shape, strides)
	nd := len(shape)
	nops := len(strides)
	// offs, inner and the odometer share one allocation.
	buf := make([]int, 2*nops+nd)
	offs, inner, idx := buf[:nops:nops], buf[nops:2*nops:2*nops], buf[2*nops:]
	copy(offs, offsets)
	if nd == 0 {
		fn(offs, inner, 1)
		return
	}
	for k := range strides {
		inner[k] = strides[k][nd-1]
	}
	n := shape[nd-1]
	rows := 0
	for {
		fn(offs, inner, n)
		rows++
		if rows&255 == 0 {
			checkInterrupt()
		}
		d := nd - 2
		for ; d >= 0; d-- {
			idx[d]++
			for k := 0; k < nops; k++ {
				offs[k] += strides[k][d]
			}
			if idx[d] < shape[d] {
				break
			}
			for k := 0; k < nops; k++ {
				offs[k] -= strides[k][d] * shape[d]
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// gather copies the elements of a strided view into a new contiguous slice.
func gather[T any](src []T, shape, strides []int, offset int) []T {
	out := make([]T, numelOf(shape))
	if len(out) == 0 {
		return out
	}
	pos := 0
	forEachRow(shape, [][]int{strides}, []int{offset}, func(offs, inner []int, n int) {
		o, s := offs[0], inner[0]
		switch s {
		case 1:
			copy(out[pos:pos+n], src[o:o+n])
		case 0:
			// A broadcast value (an expanded gradient): filled by
			// doubling copies, at memmove's speed.
			seg := out[pos : pos+n]
			seg[0] = src[o]
			for done := 1; done < n; done *= 2 {
				copy(seg[done:], seg[:done])
			}
		default:
			for i := 0; i < n; i++ {
				out[pos+i] = src[o+i*s]
			}
		}
		pos += n
	})
	return out
}

// scatterInto writes contiguous values into a strided view of dst.
func scatterInto[T any](dst []T, shape, strides []int, offset int, vals []T) {
	pos := 0
	forEachRow(shape, [][]int{strides}, []int{offset}, func(offs, inner []int, n int) {
		o, s := offs[0], inner[0]
		for i := 0; i < n; i++ {
			dst[o+i*s] = vals[pos+i]
		}
		pos += n
	})
}

// mapUnary applies f to every element of the view (src, shape, strides,
// offset), writing the results contiguously into dst.
func mapUnary[S, D any](dst []D, src []S, shape, strides []int, offset int, f func(S) D) {
	pos := 0
	forEachRow(shape, [][]int{strides}, []int{offset}, func(offs, inner []int, n int) {
		o, s := offs[0], inner[0]
		d := dst[pos : pos+n]
		if s == 1 {
			sv := src[o : o+n]
			for i := range d {
				d[i] = f(sv[i])
			}
		} else {
			for i := range d {
				d[i] = f(src[o+i*s])
			}
		}
		pos += n
	})
}

// mapBinary applies f elementwise over two views broadcast to shape, writing
// contiguously into dst. aStr and bStr are broadcast strides for shape.
func mapBinary[A, B, D any](dst []D, a []A, aStr []int, aOff int, b []B, bStr []int, bOff int, shape []int, f func(A, B) D) {
	pos := 0
	forEachRow(shape, [][]int{aStr, bStr}, []int{aOff, bOff}, func(offs, inner []int, n int) {
		ao, bo, as, bs := offs[0], offs[1], inner[0], inner[1]
		d := dst[pos : pos+n]
		switch {
		case as == 1 && bs == 1:
			av, bv := a[ao:ao+n], b[bo:bo+n]
			for i := range d {
				d[i] = f(av[i], bv[i])
			}
		case as == 1 && bs == 0:
			av, bv := a[ao:ao+n], b[bo]
			for i := range d {
				d[i] = f(av[i], bv)
			}
		case as == 0 && bs == 1:
			av, bv := a[ao], b[bo:bo+n]
			for i := range d {
				d[i] = f(av, bv[i])
			}
		default:
			for i := range d {
				d[i] = f(a[ao+i*as], b[bo+i*bs])
			}
		}
		pos += n
	})
}
