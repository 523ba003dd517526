package nn

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Loading PyTorch checkpoints (torch.save's zip format, torch ≥ 1.6).
//
// A .pt/.pth file is a zip archive: <prefix>/data.pkl holds the pickled
// object, <prefix>/data/<key> the raw little-endian bytes of each storage,
// which the pickle references through persistent ids
// ('storage', torch.FloatStorage, key, location, numel).
//
// The pickle is run by the small virtual machine in torchpickle.go rather
// than a general unpickler (such as gopickle): it knows the opcodes of
// protocols 0–5 that carry data, but constructs only what a state dict
// needs — collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// _rebuild_parameter, and the typed storage classes in persistent ids — and
// refuses every other GLOBAL, REDUCE, BUILD or object-creating opcode
// outright, so nothing named in the file is ever executed. Owning the VM also
// bounds memory: every length is checked against the bytes left, data.pkl is
// capped at MaxPickleSize, storages must match their zip entries' sizes, and
// tensors materialised from storages (views may repeat elements) are capped
// in total.

// MaxPickleSize bounds the uncompressed size of a checkpoint's data.pkl.
const MaxPickleSize = 100 << 20

// maxDeflateRatio is above deflate's largest possible compression ratio
// (about 1032:1); a zip entry claiming more is lying about its sizes.
const maxDeflateRatio = 1100

// torchStorages maps torch's storage classes to the dtype names shared with
// safetensors (decodeLE).
var torchStorages = map[string]string{
	"FloatStorage": "F32", "DoubleStorage": "F64", "LongStorage": "I64", "BoolStorage": "BOOL",
	"HalfStorage": "F16", "BFloat16Storage": "BF16", "IntStorage": "I32", "ShortStorage": "I16",
	"CharStorage": "I8", "ByteStorage": "U8",
}

// torchStorage is a storage referenced by a persistent id; its bytes are read
// from the archive when a tensor first uses it.
type torchStorage struct {
	dtype string // decodeLE name
	key   string
	numel int64
	raw   []byte
}

// torchArchive is an open checkpoint.
type torchArchive struct {
	size     int64
	prefix   string
	records  map[string]*zip.File
	storages map[string]*torchStorage
	budget   int64 // bytes of tensors that may still be materialised
}

// ReadTorch reads a PyTorch checkpoint of size bytes from r: a state dict
// (or a dict nesting state dicts, flattened with dotted names; values other
// than tensors and dicts, such as an epoch number, are skipped) saved by
// torch.save in the zip format. Tensors of half, bfloat16 and smaller integer
// types are widened to Float32 and Int64. It never executes code from the
// file: see the comment at the top of torchload.go.
func ReadTorch(r io.ReaderAt, size int64) (*StateDict, error) {
	sd, err := readTorch(r, size)
	if err != nil {
		return nil, fmt.Errorf("nn: torch checkpoint: %w", err)
	}
	return sd, nil
}

func readTorch(r io.ReaderAt, size int64) (*StateDict, error) {
	var head [4]byte
	if n, _ := r.ReadAt(head[:], 0); n >= 2 && head[0] == 0x80 {
		return nil, errors.New("legacy (non-zip) torch.save format is not supported; re-save it with torch >= 1.6 (the default _use_new_zipfile_serialization=True)")
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %v", err)
	}
	a := &torchArchive{size: size, records: map[string]*zip.File{}, storages: map[string]*torchStorage{}}
	var pkl *zip.File
	for _, f := range zr.File {
		if pkl == nil && strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			pkl = f
			a.prefix = strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if pkl == nil {
		return nil, errors.New("no <archive>/data.pkl: not a torch.save checkpoint")
	}
	var storageBytes uint64
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, a.prefix)
		if !ok {
			continue
		}
		if name == "constants.pkl" || strings.HasPrefix(name, "code/") {
			return nil, errors.New("TorchScript archives (torch.jit.save) are not supported; save model.state_dict() with torch.save instead")
		}
		if _, dup := a.records[name]; dup {
			return nil, fmt.Errorf("duplicate zip entry %q", f.Name)
		}
		a.records[name] = f
		if strings.HasPrefix(name, "data/") {
			storageBytes += f.UncompressedSize64
		}
	}
	if f, ok := a.records["byteorder"]; ok {
		b, err := a.read(f, 16, true)
		if err != nil {
			return nil, err
		}
		if string(b) != "little" {
			return nil, fmt.Errorf("byteorder %q is not supported", b)
		}
	}
	// Tensors may view their storages more than once (tied or expanded
	// tensors): copying four times the storages' bytes plus 16 MiB is plenty
	// for state dicts and bounds what a hostile file can make us allocate.
	a.budget = int64(min(storageBytes, uint64(size)*maxDeflateRatio))*4 + 16<<20
	if pkl.UncompressedSize64 > MaxPickleSize {
		return nil, fmt.Errorf("data.pkl is %d bytes, over the %d byte limit", pkl.UncompressedSize64, MaxPickleSize)
	}
	prog, err := a.read(pkl, pkl.UncompressedSize64, false)
	if err != nil {
		return nil, err
	}
	u := &unpickler{data: prog, memo: map[int64]any{}, archive: a}
	obj, err := u.run()
	if err != nil {
		return nil, err
	}
	return ckptFlatten(obj)
}

// read returns the contents of a zip entry that must hold exactly want bytes
// (or at most want when upTo), allocating only as data arrives and refusing
// sizes no honest entry of this file could have.
func (a *torchArchive) read(f *zip.File, want uint64, upTo bool) ([]byte, error) {
	if upTo {
		if f.UncompressedSize64 > want {
			return nil, fmt.Errorf("zip entry %q is %d bytes, expected at most %d", f.Name, f.UncompressedSize64, want)
		}
		want = f.UncompressedSize64
	} else if f.UncompressedSize64 != want {
		return nil, fmt.Errorf("zip entry %q is %d bytes, expected %d", f.Name, f.UncompressedSize64, want)
	}
	switch f.Method {
	case zip.Store:
		if f.CompressedSize64 != f.UncompressedSize64 || f.CompressedSize64 > uint64(a.size) {
			return nil, fmt.Errorf("zip entry %q: stored sizes %d/%d do not fit the %d byte file", f.Name, f.CompressedSize64, f.UncompressedSize64, a.size)
		}
	case zip.Deflate:
		if f.CompressedSize64 > uint64(a.size) || want > (f.CompressedSize64+1)*maxDeflateRatio {
			return nil, fmt.Errorf("zip entry %q: %d bytes from %d compressed is not a possible deflate ratio (zip bomb?)", f.Name, want, f.CompressedSize64)
		}
	default:
		return nil, fmt.Errorf("zip entry %q: unsupported compression method %d", f.Name, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := ckptReadUpTo(rc, int64(want))
	if err != nil {
		return nil, fmt.Errorf("zip entry %q: %v", f.Name, err)
	}
	// Read to the end so the CRC is checked and extra data detected.
	var one [1]byte
	if n, err := io.ReadFull(rc, one[:]); n > 0 || !errors.Is(err, io.EOF) {
		if n > 0 {
			err = errors.New("more data than its declared size")
		}
		return nil, fmt.Errorf("zip entry %q: %v", f.Name, err)
	}
	return b, nil
}

// ckptReadUpTo reads exactly n bytes, growing its buffer only as data arrives.
func ckptReadUpTo(r io.Reader, n int64) ([]byte, error) {
	const first = 1 << 20
	buf := make([]byte, 0, min(n, first))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(n, int64(cap(buf))*2))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// ckptFlatten turns the unpickled object into a StateDict.
func ckptFlatten(obj any) (*StateDict, error) {
	d, ok := obj.(*pkDict)
	if !ok {
		return nil, fmt.Errorf("the checkpoint holds %s, not a state dict", pkDescribe(obj))
	}
	sd := NewStateDict()
	visited := map[*pkDict]bool{}
	var walk func(prefix string, d *pkDict, depth int) error
	walk = func(prefix string, d *pkDict, depth int) error {
		if visited[d] {
			return errors.New("a dict is nested in itself or shared")
		}
		if depth > 32 {
			return errors.New("dicts nested too deeply")
		}
		visited[d] = true
		for i, k := range d.keys {
			name, ok := k.(string)
			if !ok {
				if n, isInt := k.(int64); isInt {
					name = strconv.FormatInt(n, 10)
				} else {
					return fmt.Errorf("state dict key %v is not a string", k)
				}
			}
			name = prefix + name
			switch v := d.vals[i].(type) {
			case *tl.Tensor:
				if _, dup := sd.Get(name); dup {
					return fmt.Errorf("duplicate name %q after flattening", name)
				}
				sd.Set(name, v)
			case *pkDict:
				if err := walk(name+".", v, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", d, 0); err != nil {
		return nil, err
	}
	return sd, nil
}

// persistentLoad resolves ('storage', StorageClass, key, location, numel).
func (u *unpickler) persistentLoad(pid any) (any, error) {
	t, ok := pid.(pkTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, u.errorf("unsupported persistent id %s", pkDescribe(pid))
	}
	cls, ok1 := t[1].(pkGlobal)
	key, ok2 := t[2].(string)
	numel, ok3 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || cls.module != "torch" || torchStorages[cls.name] == "" || numel < 0 {
		return nil, u.errorf("malformed storage persistent id")
	}
	dtype := torchStorages[cls.name]
	if s, ok := u.archive.storages[key]; ok {
		if s.dtype != dtype || s.numel != numel {
			return nil, u.errorf("storage %q referenced with different types or sizes", key)
		}
		return s, nil
	}
	if _, ok := u.archive.records["data/"+key]; !ok {
		return nil, u.errorf("storage %q has no data/%s entry in the archive", key, key)
	}
	s := &torchStorage{dtype: dtype, key: key, numel: numel}
	u.archive.storages[key] = s
	return s, nil
}

// rebuildTensor is torch._utils._rebuild_tensor_v2(storage, storage_offset,
// size, stride, requires_grad, backward_hooks[, metadata]): a copy of the
// strided view, after checking it lies inside the storage.
func (u *unpickler) rebuildTensor(args pkTuple) (any, error) {
	if len(args) < 4 {
		return nil, u.errorf("_rebuild_tensor_v2 needs at least 4 arguments, got %d", len(args))
	}
	s, ok := args[0].(*torchStorage)
	if !ok {
		return nil, u.errorf("_rebuild_tensor_v2 of %s, not a storage", pkDescribe(args[0]))
	}
	offset, ok := args[1].(int64)
	sizeT, ok1 := args[2].(pkTuple)
	strideT, ok2 := args[3].(pkTuple)
	if !ok || !ok1 || !ok2 || len(sizeT) != len(strideT) || len(sizeT) > 64 || offset < 0 {
		return nil, u.errorf("_rebuild_tensor_v2: malformed offset, size or stride")
	}
	shape := make([]int, len(sizeT))
	strides := make([]int64, len(sizeT))
	numel := int64(1)
	last := offset // the highest element index the view touches
	for i := range sizeT {
		d, ok1 := sizeT[i].(int64)
		st, ok2 := strideT[i].(int64)
		if !ok1 || !ok2 || d < 0 || st < 0 {
			return nil, u.errorf("_rebuild_tensor_v2: bad size %v or stride %v", sizeT, strideT)
		}
		shape[i], strides[i] = int(d), st
		if d == 0 {
			numel = 0
			continue
		}
		if numel > 0 && numel > math.MaxInt64/d {
			return nil, u.errorf("_rebuild_tensor_v2: size %v overflows", sizeT)
		}
		numel *= d
		if st > 0 && (d-1) > (math.MaxInt64-last)/st {
			return nil, u.errorf("_rebuild_tensor_v2: stride %v overflows", strideT)
		}
		last += (d - 1) * st
	}
	if numel > 0 && last >= s.numel {
		return nil, u.errorf("tensor of size %v, stride %v at offset %d reaches element %d of a %d element storage", sizeT, strideT, offset, last, s.numel)
	}
	elem := int64(stDTypes[s.dtype].size)
	if numel > math.MaxInt64/elem || numel*elem > u.archive.budget {
		return nil, u.errorf("tensors materialised from the storages exceed the %d byte budget", u.archive.budget)
	}
	u.archive.budget -= numel * elem
	if s.raw == nil {
		if s.numel > math.MaxInt64/elem {
			return nil, u.errorf("storage %q too large", s.key)
		}
		raw, err := u.archive.read(u.archive.records["data/"+s.key], uint64(s.numel*elem), false)
		if err != nil {
			return nil, err
		}
		s.raw = raw
	}
	raw := gatherStrided(s.raw, int(elem), shape, strides, offset, int(numel))
	return decodeLE(s.dtype, raw, shape), nil
}

// gatherStrided copies the elements of a strided view (checked to lie inside
// src) into a contiguous buffer.
func gatherStrided(src []byte, elem int, shape []int, strides []int64, offset int64, numel int) []byte {
	out := make([]byte, numel*elem)
	if numel == 0 {
		return out
	}
	contiguous := true
	want := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && strides[i] != want {
			contiguous = false
			break
		}
		want *= int64(shape[i])
	}
	if contiguous {
		copy(out, src[int(offset)*elem:])
		return out
	}
	idx := make([]int, len(shape))
	pos := offset
	for k := 0; k < numel; k++ {
		copy(out[k*elem:(k+1)*elem], src[int(pos)*elem:])
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			pos += strides[d]
			if idx[d] < shape[d] {
				break
			}
			pos -= strides[d] * int64(shape[d])
			idx[d] = 0
		}
	}
	return out
}
