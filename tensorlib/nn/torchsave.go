package nn

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"

	tl "github.com/gotensor/gt/tensorlib"
)

// SaveTorch writes sd to path in torch.save's zip format, atomically (see
// Save), so PyTorch can read it: model.load_state_dict(torch.load(path)).
// Each tensor gets its own contiguous storage.
func SaveTorch(path string, sd *StateDict) error {
	if err := ckptWriteAtomic(path, func(w io.Writer) error { return WriteTorch(w, sd) }); err != nil {
		return fmt.Errorf("nn: SaveTorch: %w", err)
	}
	return nil
}

// WriteTorch writes sd to w as torch.save(state_dict) does (zip archive,
// pickle protocol 2, an OrderedDict of _rebuild_tensor_v2 calls on typed
// storages), with record data 64-byte aligned as torch aligns it.
func WriteTorch(w io.Writer, sd *StateDict) error {
	keys := sd.Keys()
	storages := make([][]byte, len(keys))
	var p bytes.Buffer
	p.Write([]byte{pkOpProto, 2})
	pkWriteGlobal(&p, "collections", "OrderedDict")
	p.Write([]byte{pkOpEmptyTuple, pkOpReduce, pkOpMark})
	for i, k := range keys {
		t, _ := sd.Get(k)
		var class string
		switch t.DType() {
		case tl.Float32:
			class = "FloatStorage"
		case tl.Float64:
			class = "DoubleStorage"
		case tl.Int64:
			class = "LongStorage"
		case tl.Bool:
			class = "BoolStorage"
		default:
			return fmt.Errorf("nn: WriteTorch: %s: unsupported dtype %v", k, t.DType())
		}
		var data bytes.Buffer
		if err := writeTensorLE(&data, t); err != nil {
			return err
		}
		storages[i] = data.Bytes()
		pkWriteString(&p, k)
		pkWriteGlobal(&p, "torch._utils", "_rebuild_tensor_v2")
		p.WriteByte(pkOpMark)
		// persistent id ('storage', torch.XStorage, key, 'cpu', numel)
		p.WriteByte(pkOpMark)
		pkWriteString(&p, "storage")
		pkWriteGlobal(&p, "torch", class)
		pkWriteString(&p, strconv.Itoa(i))
		pkWriteString(&p, "cpu")
		pkWriteInt(&p, int64(t.Numel()))
		p.Write([]byte{pkOpTuple, pkOpBinPersID})
		pkWriteInt(&p, 0) // storage offset
		shape := t.Shape()
		strides := make([]int, len(shape))
		s := 1
		for d := len(shape) - 1; d >= 0; d-- {
			strides[d] = s
			s *= shape[d]
		}
		pkWriteIntTuple(&p, shape)
		pkWriteIntTuple(&p, strides)
		p.WriteByte(pkOpNewFalse) // requires_grad
		pkWriteGlobal(&p, "collections", "OrderedDict")
		p.Write([]byte{pkOpEmptyTuple, pkOpReduce}) // backward hooks
		p.Write([]byte{pkOpTuple, pkOpReduce})
	}
	p.Write([]byte{pkOpSetItems, pkOpStop})

	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	write := func(name string, data []byte) error {
		if err := zw.Flush(); err != nil {
			return err
		}
		// Pad the local header's extra field so the data is 64-byte
		// aligned: header 30 bytes + name + extra (4-byte tag + padding).
		pad := (64 - (cw.n+30+int64(len(name))+4)%64) % 64
		extra := binary.LittleEndian.AppendUint16(nil, 0x4246) // "FB", torch's padding tag
		extra = binary.LittleEndian.AppendUint16(extra, uint16(pad))
		extra = append(extra, make([]byte, pad)...)
		fw, err := zw.CreateRaw(&zip.FileHeader{
			Name:               name,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(data),
			CompressedSize64:   uint64(len(data)),
			UncompressedSize64: uint64(len(data)),
			Extra:              extra,
		})
		if err != nil {
			return err
		}
		_, err = fw.Write(data)
		return err
	}
	if err := write("archive/data.pkl", p.Bytes()); err != nil {
		return err
	}
	for i, data := range storages {
		if err := write("archive/data/"+strconv.Itoa(i), data); err != nil {
			return err
		}
	}
	if err := write("archive/version", []byte("3\n")); err != nil {
		return err
	}
	return zw.Close()
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write passes b on and counts it.
func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func pkWriteGlobal(p *bytes.Buffer, module, name string) {
	p.WriteByte(pkOpGlobal)
	p.WriteString(module + "\n" + name + "\n")
}

func pkWriteString(p *bytes.Buffer, s string) {
	p.WriteByte(pkOpBinUnicode)
	p.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
	p.WriteString(s)
}

func pkWriteInt(p *bytes.Buffer, v int64) {
	switch {
	case v >= 0 && v < 1<<8:
		p.Write([]byte{pkOpBinInt1, byte(v)})
	case v >= 0 && v < 1<<16:
		p.WriteByte(pkOpBinInt2)
		p.Write(binary.LittleEndian.AppendUint16(nil, uint16(v)))
	case v >= -1<<31 && v < 1<<31:
		p.WriteByte(pkOpBinInt)
		p.Write(binary.LittleEndian.AppendUint32(nil, uint32(v)))
	default:
		p.Write([]byte{pkOpLong1, 8})
		p.Write(binary.LittleEndian.AppendUint64(nil, uint64(v)))
	}
}

func pkWriteIntTuple(p *bytes.Buffer, v []int) {
	if len(v) == 0 {
		p.WriteByte(pkOpEmptyTuple)
		return
	}
	p.WriteByte(pkOpMark)
	for _, x := range v {
		pkWriteInt(p, int64(x))
	}
	p.WriteByte(pkOpTuple)
}
