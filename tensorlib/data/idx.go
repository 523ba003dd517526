package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	tl "github.com/gotensor/gt/tensorlib"
)

// IDX element type codes (the MNIST file format).
const (
	idxUByte  = 0x08
	idxByte   = 0x09
	idxShort  = 0x0B
	idxInt    = 0x0C
	idxFloat  = 0x0D
	idxDouble = 0x0E
)

// MaxIDXBytes bounds the data an IDX file may declare (8 GiB). Whatever the
// declared size, memory grows only with the data actually read, so a short
// file that declares a huge size fails without a huge allocation.
const MaxIDXBytes = 8 << 30

// idxFile is a parsed IDX file: its element type, shape and raw big-endian
// element bytes.
type idxFile struct {
	code  byte
	shape []int
	raw   []byte
}

// itemSize returns the element size of an IDX type code, 0 if unknown.
func idxItemSize(code byte) int {
	switch code {
	case idxUByte, idxByte:
		return 1
	case idxShort:
		return 2
	case idxInt, idxFloat:
		return 4
	case idxDouble:
		return 8
	}
	return 0
}

// ReadIDX reads an IDX file (the format of MNIST and Fashion-MNIST), gzip
// compressed or not. Unsigned/signed bytes, shorts and ints become Int64
// tensors, floats Float32 and doubles Float64, with the file's shape.
func ReadIDX(r io.Reader) (*tl.Tensor, error) {
	f, err := readIDX(r)
	if err != nil {
		return nil, err
	}
	return f.tensor(), nil
}

// ReadIDXFile is ReadIDX on the named file.
func ReadIDXFile(path string) (*tl.Tensor, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: ReadIDX: %w", err)
	}
	defer fh.Close()
	t, err := ReadIDX(fh)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return t, nil
}

// remaining returns how many bytes r still holds when r can tell
// (*os.File, *bytes.Reader, *strings.Reader, *bytes.Buffer), or -1.
func remaining(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return st.Size() - off
	}
	return -1
}

// readIDX parses the header and reads the data of an IDX stream.
func readIDX(r io.Reader) (*idxFile, error) {
	avail := remaining(r)
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: ReadIDX: gzip: %w", err)
		}
		defer zr.Close()
		return readIDXRaw(zr, -1)
	}
	return readIDXRaw(br, avail)
}

// readIDXRaw reads an uncompressed IDX stream; avail is the stream's length
// when known, else -1.
func readIDXRaw(r io.Reader, avail int64) (*idxFile, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("data: ReadIDX: reading magic number: %w", unexpectedEOF(err))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("data: ReadIDX: bad magic number % x (an IDX file starts with two zero bytes)", head)
	}
	code, ndim := head[2], int(head[3])
	size := idxItemSize(code)
	if size == 0 {
		return nil, fmt.Errorf("data: ReadIDX: unknown element type 0x%02x", code)
	}
	dims := make([]byte, 4*ndim)
	if _, err := io.ReadFull(r, dims); err != nil {
		return nil, fmt.Errorf("data: ReadIDX: reading %d dimensions: %w", ndim, unexpectedEOF(err))
	}
	shape := make([]int, ndim)
	total := uint64(size)
	for i := range shape {
		d := uint64(binary.BigEndian.Uint32(dims[4*i:]))
		shape[i] = int(d)
		if d != 0 && total > math.MaxUint64/d {
			total = math.MaxUint64
		} else {
			total *= d
		}
	}
	if total > MaxIDXBytes {
		return nil, fmt.Errorf("data: ReadIDX: shape %v declares %d bytes of data, over the %d byte limit", shape, total, uint64(MaxIDXBytes))
	}
	if left := avail - int64(4+4*ndim); avail >= 0 && left >= 0 && total > uint64(left) {
		return nil, fmt.Errorf("data: ReadIDX: truncated: shape %v needs %d bytes of data but the file holds %d", shape, total, left)
	}
	raw, err := readUpTo(r, int64(total))
	if err != nil {
		return nil, fmt.Errorf("data: ReadIDX: truncated: shape %v needs %d bytes of data, read %d: %w", shape, total, len(raw), unexpectedEOF(err))
	}
	return &idxFile{code: code, shape: shape, raw: raw}, nil
}

// unexpectedEOF turns a bare io.EOF into io.ErrUnexpectedEOF: inside a file
// both mean it stopped short.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readUpTo reads exactly n bytes, growing its buffer only as data arrives
// (at most doubling), so a stream shorter than declared costs memory in
// proportion to what it holds. On a short stream it returns what was read
// and the error.
func readUpTo(r io.Reader, n int64) ([]byte, error) {
	const first = 1 << 20
	c := n
	if c > first {
		c = first
	}
	buf := make([]byte, 0, c)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			c := int64(cap(buf)) * 2
			if c > n {
				c = n
			}
			nb := make([]byte, len(buf), c)
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// tensor converts the raw big-endian elements to a tensor.
func (f *idxFile) tensor() *tl.Tensor {
	be := binary.BigEndian
	n := len(f.raw) / idxItemSize(f.code)
	var t *tl.Tensor
	switch f.code {
	case idxFloat:
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(be.Uint32(f.raw[4*i:]))
		}
		t = tl.FromFloat32s(v)
	case idxDouble:
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Float64frombits(be.Uint64(f.raw[8*i:]))
		}
		t = tl.FromFloat64s(v)
	default:
		v := make([]int64, n)
		for i := range v {
			switch f.code {
			case idxUByte:
				v[i] = int64(f.raw[i])
			case idxByte:
				v[i] = int64(int8(f.raw[i]))
			case idxShort:
				v[i] = int64(int16(be.Uint16(f.raw[2*i:])))
			case idxInt:
				v[i] = int64(int32(be.Uint32(f.raw[4*i:])))
			}
		}
		t = tl.FromInt64s(v)
	}
	return t.Reshape(f.shape...)
}
