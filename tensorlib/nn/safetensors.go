package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	tl "github.com/gotensor/gt/tensorlib"
)

// The safetensors format (https://github.com/huggingface/safetensors): an
// 8-byte little-endian header length N, N bytes of JSON
//
//	{"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …}
//
// then the byte buffer; offsets are relative to the buffer's start, tensors
// are contiguous little-endian, and together they cover the buffer exactly.

// MaxSafetensorsHeader bounds the JSON header of a safetensors file (100 MB,
// as the reference implementation).
const MaxSafetensorsHeader = 100 << 20

// stDType describes a safetensors dtype: its element size and the gt dtype
// it loads as. F32, F64, I64 and BOOL round-trip; the others are widened.
type stDType struct {
	size int
	gt   tl.DType
}

var stDTypes = map[string]stDType{
	"F32": {4, tl.Float32}, "F64": {8, tl.Float64}, "I64": {8, tl.Int64}, "BOOL": {1, tl.Bool},
	"F16": {2, tl.Float32}, "BF16": {2, tl.Float32},
	"I32": {4, tl.Int64}, "I16": {2, tl.Int64}, "I8": {1, tl.Int64}, "U8": {1, tl.Int64},
}

// stName returns the safetensors name of a gt dtype.
func stName(d tl.DType) string {
	switch d {
	case tl.Float32:
		return "F32"
	case tl.Float64:
		return "F64"
	case tl.Int64:
		return "I64"
	case tl.Bool:
		return "BOOL"
	}
	return d.String()
}

// WriteSafetensors writes sd to w in the safetensors format, tensors in the
// state dict's order, with metadata (may be nil) as __metadata__. The header
// is compact JSON padded with spaces to a multiple of 8 bytes, so the data
// starts 8-byte aligned, as the reference writer does.
func WriteSafetensors(w io.Writer, sd *StateDict, metadata map[string]string) error {
	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if metadata != nil {
		sep()
		h.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset int64
	for _, k := range sd.Keys() {
		if k == "__metadata__" {
			return errors.New("nn: WriteSafetensors: a tensor cannot be named __metadata__")
		}
		t, _ := sd.Get(k)
		n := int64(t.Numel()) * int64(t.DType().ItemSize())
		sep()
		writeJSONString(&h, k)
		fmt.Fprintf(&h, `:{"dtype":%q,"shape":[`, stName(t.DType()))
		for i, d := range t.Shape() {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, offset, offset+n)
		offset += n
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(h.Len()))
	bw.Write(lenBuf[:])
	bw.Write(h.Bytes())
	for _, k := range sd.Keys() {
		t, _ := sd.Get(k)
		if err := writeTensorLE(bw, t); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeJSONString writes s as a JSON string without HTML escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}

// writeTensorLE writes t's elements, in row-major order, little-endian.
func writeTensorLE(w io.Writer, t *tl.Tensor) error {
	le := binary.LittleEndian
	const chunk = 1 << 13
	var buf []byte
	switch t.DType() {
	case tl.Float32:
		v := t.Float32s()
		for i := 0; i < len(v); i += chunk {
			buf = buf[:0]
			for _, x := range v[i:min(i+chunk, len(v))] {
				buf = le.AppendUint32(buf, math.Float32bits(x))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	case tl.Float64:
		v := t.Float64s()
		for i := 0; i < len(v); i += chunk {
			buf = buf[:0]
			for _, x := range v[i:min(i+chunk, len(v))] {
				buf = le.AppendUint64(buf, math.Float64bits(x))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	case tl.Int64:
		v := t.Int64s()
		for i := 0; i < len(v); i += chunk {
			buf = buf[:0]
			for _, x := range v[i:min(i+chunk, len(v))] {
				buf = le.AppendUint64(buf, uint64(x))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	case tl.Bool:
		v := t.Bools()
		buf = make([]byte, len(v))
		for i, x := range v {
			if x {
				buf[i] = 1
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	default:
		return fmt.Errorf("nn: cannot store dtype %v", t.DType())
	}
	return nil
}

// stEntry is one tensor of a safetensors header.
type stEntry struct {
	name        string
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ReadSafetensors reads a safetensors file of size bytes from r. Tensors
// come out in the header's order. Every declared size and offset is checked
// against the file before anything is allocated: a header over
// MaxSafetensorsHeader, offsets outside the buffer, overlapping or leaving
// holes, or sizes that disagree with dtype and shape are errors.
func ReadSafetensors(r io.ReaderAt, size int64) (*StateDict, map[string]string, error) {
	fail := func(format string, args ...any) (*StateDict, map[string]string, error) {
		return nil, nil, fmt.Errorf("nn: safetensors: "+format, args...)
	}
	if size < 8 {
		return fail("file too short (%d bytes) for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return fail("reading header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxSafetensorsHeader {
		return fail("header length %d exceeds the %d byte limit", n, MaxSafetensorsHeader)
	}
	if n > uint64(size-8) {
		return fail("header length %d exceeds the file (%d bytes)", n, size)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return fail("reading header: %v", err)
	}
	if len(header) == 0 || header[0] != '{' {
		return fail("header does not start with '{'")
	}
	entries, metadata, err := parseSTHeader(header)
	if err != nil {
		return fail("%v", err)
	}
	bufStart := int64(8 + n)
	bufLen := size - bufStart
	// Validate every entry, then the layout, before reading any data.
	for _, e := range entries {
		dt, ok := stDTypes[e.DType]
		if !ok {
			return fail("tensor %q: unsupported dtype %q", e.name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return fail("tensor %q: data_offsets must be [begin, end]", e.name)
		}
		b, end := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || end < b || end > bufLen {
			return fail("tensor %q: data_offsets [%d, %d] outside the %d byte buffer", e.name, b, end, bufLen)
		}
		nbytes := int64(dt.size)
		for _, d := range e.Shape {
			if d < 0 {
				return fail("tensor %q: negative dimension in shape %v", e.name, e.Shape)
			}
			if d > 0 && nbytes > math.MaxInt64/d {
				return fail("tensor %q: shape %v overflows", e.name, e.Shape)
			}
			nbytes *= d
		}
		if nbytes != end-b {
			return fail("tensor %q: dtype %s and shape %v need %d bytes, data_offsets [%d, %d] hold %d", e.name, e.DType, e.Shape, nbytes, b, end, end-b)
		}
	}
	order := make([]*stEntry, len(entries))
	copy(order, entries)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i].DataOffsets, order[j].DataOffsets
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	var end int64
	for _, e := range order {
		if e.DataOffsets[0] != end {
			if e.DataOffsets[0] < end {
				return fail("tensor %q: data_offsets [%d, %d] overlap another tensor's", e.name, e.DataOffsets[0], e.DataOffsets[1])
			}
			return fail("tensor %q: data_offsets [%d, %d] leave a hole after byte %d", e.name, e.DataOffsets[0], e.DataOffsets[1], end)
		}
		end = e.DataOffsets[1]
	}
	if end != bufLen {
		return fail("tensors cover %d bytes of the %d byte buffer", end, bufLen)
	}
	sd := NewStateDict()
	for _, e := range entries {
		raw := make([]byte, e.DataOffsets[1]-e.DataOffsets[0])
		if _, err := r.ReadAt(raw, bufStart+e.DataOffsets[0]); err != nil {
			return fail("tensor %q: %v", e.name, err)
		}
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			shape[i] = int(d)
		}
		sd.Set(e.name, decodeLE(e.DType, raw, shape))
	}
	return sd, metadata, nil
}

// parseSTHeader parses the JSON header, keeping the tensors' order and
// rejecting duplicate names.
func parseSTHeader(header []byte) ([]*stEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("header is not a JSON object")
	}
	var entries []*stEntry
	var metadata map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, errors.New("header JSON: expected a name")
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("duplicate entry %q in header", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&metadata); err != nil {
				return nil, nil, fmt.Errorf("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		e := &stEntry{name: name}
		if err := dec.Decode(e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		if e.Shape == nil || e.DataOffsets == nil {
			return nil, nil, fmt.Errorf("tensor %q: missing shape or data_offsets", name)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("header JSON: %v", err)
	}
	// Only padding may follow the object.
	for _, c := range header[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != 0 {
			return nil, nil, errors.New("header JSON: trailing data after the object")
		}
	}
	return entries, metadata, nil
}

// decodeLE converts little-endian elements of a safetensors or torch dtype
// to a gt tensor of the given shape. len(raw) must be numel·size.
func decodeLE(dtype string, raw []byte, shape []int) *tl.Tensor {
	le := binary.LittleEndian
	var t *tl.Tensor
	switch dtype {
	case "F32":
		v := make([]float32, len(raw)/4)
		for i := range v {
			v[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		t = tl.FromFloat32s(v)
	case "F16", "BF16":
		v := make([]float32, len(raw)/2)
		for i := range v {
			h := le.Uint16(raw[2*i:])
			if dtype == "BF16" {
				v[i] = math.Float32frombits(uint32(h) << 16)
			} else {
				v[i] = halfToFloat32(h)
			}
		}
		t = tl.FromFloat32s(v)
	case "F64":
		v := make([]float64, len(raw)/8)
		for i := range v {
			v[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		t = tl.FromFloat64s(v)
	case "BOOL":
		v := make([]bool, len(raw))
		for i, b := range raw {
			v[i] = b != 0
		}
		t = tl.FromBools(v)
	default: // integers
		size := stDTypes[dtype].size
		v := make([]int64, len(raw)/size)
		for i := range v {
			switch dtype {
			case "I64":
				v[i] = int64(le.Uint64(raw[8*i:]))
			case "I32":
				v[i] = int64(int32(le.Uint32(raw[4*i:])))
			case "I16":
				v[i] = int64(int16(le.Uint16(raw[2*i:])))
			case "I8":
				v[i] = int64(int8(raw[i]))
			case "U8":
				v[i] = int64(raw[i])
			}
		}
		t = tl.FromInt64s(v)
	}
	return t.Reshape(shape...)
}

// halfToFloat32 converts an IEEE 754 half-precision value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, nan
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0: // ±0
		return math.Float32frombits(sign)
	}
	// subnormal: frac·2^-24
	f := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}
