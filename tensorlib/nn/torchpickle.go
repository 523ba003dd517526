package nn

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// The restricted pickle machine that reads a checkpoint's data.pkl; see the
// comment at the top of torchload.go for what it allows and why.

// pkGlobal is an allowed GLOBAL: a callable or storage class.
type pkGlobal struct{ module, name string }

// String returns module.name.
func (g pkGlobal) String() string { return g.module + "." + g.name }

// pkTuple, pkList and pkDict are the pickle's containers.
type pkTuple []any

type pkList struct{ items []any }

type pkDict struct {
	keys  []any
	vals  []any
	index map[any]int
}

func newPkDict() *pkDict { return &pkDict{index: map[any]int{}} }

func (d *pkDict) set(k, v any) error {
	switch k.(type) {
	case string, int64, bool, nil, float64:
	default:
		return fmt.Errorf("unsupported dict key of type %T", k)
	}
	if i, ok := d.index[k]; ok {
		d.vals[i] = v
		return nil
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

// pkBytes is a bytes value.
type pkBytes []byte

// pkDescribe names a pickled value's type for error messages.
func pkDescribe(v any) string {
	switch v := v.(type) {
	case *tl.Tensor:
		return "a single tensor"
	case pkTuple:
		return "a tuple"
	case *pkList:
		return "a list"
	case pkGlobal:
		return v.String()
	case nil:
		return "None"
	}
	return fmt.Sprintf("a %T", v)
}

// unpickler is the restricted pickle VM.
type unpickler struct {
	data    []byte
	pos     int
	stack   []any
	marks   []int
	memo    map[int64]any
	archive *torchArchive
}

// Pickle opcodes.
const (
	pkOpMark           = '('
	pkOpStop           = '.'
	pkOpPop            = '0'
	pkOpPopMark        = '1'
	pkOpDup            = '2'
	pkOpFloat          = 'F'
	pkOpInt            = 'I'
	pkOpBinInt         = 'J'
	pkOpBinInt1        = 'K'
	pkOpLong           = 'L'
	pkOpBinInt2        = 'M'
	pkOpNone           = 'N'
	pkOpPersID         = 'P'
	pkOpBinPersID      = 'Q'
	pkOpReduce         = 'R'
	pkOpString         = 'S'
	pkOpBinString      = 'T'
	pkOpShortBinString = 'U'
	pkOpUnicode        = 'V'
	pkOpBinUnicode     = 'X'
	pkOpAppend         = 'a'
	pkOpBuild          = 'b'
	pkOpGlobal         = 'c'
	pkOpDict           = 'd'
	pkOpEmptyDict      = '}'
	pkOpAppends        = 'e'
	pkOpGet            = 'g'
	pkOpBinGet         = 'h'
	pkOpInst           = 'i'
	pkOpLongBinGet     = 'j'
	pkOpList           = 'l'
	pkOpEmptyList      = ']'
	pkOpObj            = 'o'
	pkOpPut            = 'p'
	pkOpBinPut         = 'q'
	pkOpLongBinPut     = 'r'
	pkOpSetItem        = 's'
	pkOpTuple          = 't'
	pkOpEmptyTuple     = ')'
	pkOpSetItems       = 'u'
	pkOpBinFloat       = 'G'
	pkOpProto          = 0x80
	pkOpNewObj         = 0x81
	pkOpExt1           = 0x82
	pkOpExt2           = 0x83
	pkOpExt4           = 0x84
	pkOpTuple1         = 0x85
	pkOpTuple2         = 0x86
	pkOpTuple3         = 0x87
	pkOpNewTrue        = 0x88
	pkOpNewFalse       = 0x89
	pkOpLong1          = 0x8a
	pkOpLong4          = 0x8b
	pkOpBinBytes       = 'B'
	pkOpShortBinBytes  = 'C'
	pkOpShortBinUni    = 0x8c
	pkOpBinUnicode8    = 0x8d
	pkOpBinBytes8      = 0x8e
	pkOpEmptySet       = 0x8f
	pkOpAddItems       = 0x90
	pkOpFrozenSet      = 0x91
	pkOpNewObjEx       = 0x92
	pkOpStackGlobal    = 0x93
	pkOpMemoize        = 0x94
	pkOpFrame          = 0x95
	pkOpByteArray8     = 0x96
	pkOpNextBuffer     = 0x97
	pkOpReadOnlyBuffer = 0x98
)

func (u *unpickler) errorf(format string, args ...any) error {
	return fmt.Errorf("data.pkl at byte %d: "+format, append([]any{u.pos}, args...)...)
}

// take returns the next n bytes.
func (u *unpickler) take(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, u.errorf("length %d runs past the end of the pickle", n)
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

// line returns the text up to the next newline (protocol 0 arguments).
func (u *unpickler) line() (string, error) {
	i := u.pos
	for i < len(u.data) && u.data[i] != '\n' {
		i++
	}
	if i == len(u.data) {
		return "", u.errorf("unterminated text argument")
	}
	s := string(u.data[u.pos:i])
	u.pos = i + 1
	return s, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.take(uint64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errorf("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, u.errorf("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops the items above the last MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.errorf("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any{}, u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

// global resolves GLOBAL module.name against the allow-list.
func (u *unpickler) global(module, name string) (any, error) {
	switch {
	case module == "collections" && name == "OrderedDict",
		module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter"):
		return pkGlobal{module, name}, nil
	case module == "torch" && torchStorages[name] != "":
		return pkGlobal{module, name}, nil
	}
	if module == "torch" && strings.HasSuffix(name, "Storage") {
		return nil, u.errorf("unsupported storage type torch.%s", name)
	}
	hint := " (a pickled nn.Module or custom object? save model.state_dict() instead)"
	switch module {
	case "builtins", "__builtin__", "os", "posix", "nt", "subprocess", "sys":
		hint = ""
	}
	return nil, u.errorf("refusing to load global %s.%s: only state dicts of tensors can be loaded%s", module, name, hint)
}

// run executes the pickle and returns the object STOP leaves.
func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.data) {
			return nil, u.errorf("pickle ends without STOP")
		}
		op := u.data[u.pos]
		u.pos++
		switch op {
		case pkOpProto:
			if _, err := u.take(1); err != nil {
				return nil, err
			}
		case pkOpFrame:
			if _, err := u.take(8); err != nil {
				return nil, err
			}
		case pkOpStop:
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		case pkOpMark:
			u.marks = append(u.marks, len(u.stack))
		case pkOpPop:
			if _, err := u.pop(); err != nil {
				return nil, err
			}
		case pkOpPopMark:
			if _, err := u.popMark(); err != nil {
				return nil, err
			}
		case pkOpDup:
			v, err := u.top()
			if err != nil {
				return nil, err
			}
			u.push(v)
		case pkOpNone:
			u.push(nil)
		case pkOpNewTrue:
			u.push(true)
		case pkOpNewFalse:
			u.push(false)
		case pkOpBinInt:
			v, err := u.uint(4)
			if err != nil {
				return nil, err
			}
			u.push(int64(int32(uint32(v))))
		case pkOpBinInt1:
			v, err := u.uint(1)
			if err != nil {
				return nil, err
			}
			u.push(int64(v))
		case pkOpBinInt2:
			v, err := u.uint(2)
			if err != nil {
				return nil, err
			}
			u.push(int64(v))
		case pkOpLong1, pkOpLong4:
			var n uint64
			var err error
			if op == pkOpLong1 {
				n, err = u.uint(1)
			} else {
				n, err = u.uint(4)
			}
			if err != nil {
				return nil, err
			}
			if n > 8 {
				return nil, u.errorf("integer of %d bytes is too large", n)
			}
			b, err := u.take(n)
			if err != nil {
				return nil, err
			}
			var v uint64
			for i := len(b) - 1; i >= 0; i-- {
				v = v<<8 | uint64(b[i])
			}
			if n > 0 && n < 8 && b[n-1]&0x80 != 0 { // sign-extend
				v |= ^uint64(0) << (8 * n)
			}
			u.push(int64(v))
		case pkOpInt, pkOpLong:
			s, err := u.line()
			if err != nil {
				return nil, err
			}
			switch {
			case op == pkOpInt && s == "01":
				u.push(true)
			case op == pkOpInt && s == "00":
				u.push(false)
			default:
				v, err := strconv.ParseInt(strings.TrimSuffix(s, "L"), 10, 64)
				if err != nil {
					return nil, u.errorf("bad integer %q", s)
				}
				u.push(v)
			}
		case pkOpBinFloat:
			v, err := u.take(8)
			if err != nil {
				return nil, err
			}
			u.push(math.Float64frombits(binary.BigEndian.Uint64(v)))
		case pkOpFloat:
			s, err := u.line()
			if err != nil {
				return nil, err
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, u.errorf("bad float %q", s)
			}
			u.push(v)
		case pkOpBinUnicode, pkOpShortBinUni, pkOpBinUnicode8, pkOpBinString, pkOpShortBinString,
			pkOpBinBytes, pkOpShortBinBytes, pkOpBinBytes8:
			var size int
			switch op {
			case pkOpShortBinUni, pkOpShortBinString, pkOpShortBinBytes:
				size = 1
			case pkOpBinUnicode8, pkOpBinBytes8:
				size = 8
			default:
				size = 4
			}
			n, err := u.uint(size)
			if err != nil {
				return nil, err
			}
			b, err := u.take(n)
			if err != nil {
				return nil, err
			}
			if op == pkOpBinBytes || op == pkOpShortBinBytes || op == pkOpBinBytes8 {
				u.push(pkBytes(append([]byte{}, b...)))
			} else {
				u.push(string(b))
			}
		case pkOpEmptyTuple:
			u.push(pkTuple{})
		case pkOpTuple1, pkOpTuple2, pkOpTuple3:
			n := int(op-pkOpTuple1) + 1
			if len(u.stack)-n < u.floor() {
				return nil, u.errorf("stack underflow")
			}
			t := append(pkTuple{}, u.stack[len(u.stack)-n:]...)
			u.stack = u.stack[:len(u.stack)-n]
			u.push(t)
		case pkOpTuple:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			u.push(pkTuple(items))
		case pkOpEmptyList:
			u.push(&pkList{})
		case pkOpList:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			u.push(&pkList{items: items})
		case pkOpAppend:
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			if err := u.appendTo(v); err != nil {
				return nil, err
			}
		case pkOpAppends:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			if err := u.appendTo(items...); err != nil {
				return nil, err
			}
		case pkOpEmptyDict:
			u.push(newPkDict())
		case pkOpDict:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			d := newPkDict()
			if err := u.setItems(d, items); err != nil {
				return nil, err
			}
			u.push(d)
		case pkOpSetItem:
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			k, err := u.pop()
			if err != nil {
				return nil, err
			}
			if err := u.setItems(nil, []any{k, v}); err != nil {
				return nil, err
			}
		case pkOpSetItems:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			if err := u.setItems(nil, items); err != nil {
				return nil, err
			}
		case pkOpPut, pkOpBinPut, pkOpLongBinPut, pkOpMemoize:
			var idx int64
			switch op {
			case pkOpPut:
				s, err := u.line()
				if err != nil {
					return nil, err
				}
				v, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return nil, u.errorf("bad memo index %q", s)
				}
				idx = v
			case pkOpBinPut:
				v, err := u.uint(1)
				if err != nil {
					return nil, err
				}
				idx = int64(v)
			case pkOpLongBinPut:
				v, err := u.uint(4)
				if err != nil {
					return nil, err
				}
				idx = int64(v)
			default:
				idx = int64(len(u.memo))
			}
			v, err := u.top()
			if err != nil {
				return nil, err
			}
			u.memo[idx] = v
		case pkOpGet, pkOpBinGet, pkOpLongBinGet:
			var idx int64
			switch op {
			case pkOpGet:
				s, err := u.line()
				if err != nil {
					return nil, err
				}
				v, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return nil, u.errorf("bad memo index %q", s)
				}
				idx = v
			case pkOpBinGet:
				v, err := u.uint(1)
				if err != nil {
					return nil, err
				}
				idx = int64(v)
			default:
				v, err := u.uint(4)
				if err != nil {
					return nil, err
				}
				idx = int64(v)
			}
			v, ok := u.memo[idx]
			if !ok {
				return nil, u.errorf("memo index %d not set", idx)
			}
			u.push(v)
		case pkOpGlobal:
			module, err := u.line()
			if err != nil {
				return nil, err
			}
			name, err := u.line()
			if err != nil {
				return nil, err
			}
			g, err := u.global(module, name)
			if err != nil {
				return nil, err
			}
			u.push(g)
		case pkOpStackGlobal:
			name, err := u.pop()
			if err != nil {
				return nil, err
			}
			module, err := u.pop()
			if err != nil {
				return nil, err
			}
			ms, ok1 := module.(string)
			ns, ok2 := name.(string)
			if !ok1 || !ok2 {
				return nil, u.errorf("STACK_GLOBAL needs two strings")
			}
			g, err := u.global(ms, ns)
			if err != nil {
				return nil, err
			}
			u.push(g)
		case pkOpReduce:
			args, err := u.pop()
			if err != nil {
				return nil, err
			}
			fn, err := u.pop()
			if err != nil {
				return nil, err
			}
			v, err := u.reduce(fn, args)
			if err != nil {
				return nil, err
			}
			u.push(v)
		case pkOpBuild:
			if _, err := u.pop(); err != nil { // the state
				return nil, err
			}
			obj, err := u.top()
			if err != nil {
				return nil, err
			}
			// OrderedDict state dicts carry a _metadata attribute (module
			// versions), which a state dict does not need.
			if _, ok := obj.(*pkDict); !ok {
				return nil, u.errorf("refusing BUILD on %s", pkDescribe(obj))
			}
		case pkOpBinPersID:
			pid, err := u.pop()
			if err != nil {
				return nil, err
			}
			s, err := u.persistentLoad(pid)
			if err != nil {
				return nil, err
			}
			u.push(s)
		case pkOpPersID, pkOpString, pkOpUnicode:
			return nil, u.errorf("text opcode %q (pickle protocol 0) is not supported", rune(op))
		case pkOpInst, pkOpObj, pkOpNewObj, pkOpNewObjEx, pkOpExt1, pkOpExt2, pkOpExt4,
			pkOpEmptySet, pkOpAddItems, pkOpFrozenSet, pkOpByteArray8, pkOpNextBuffer, pkOpReadOnlyBuffer:
			return nil, u.errorf("refusing opcode 0x%02x: only state dicts of tensors can be loaded", op)
		default:
			return nil, u.errorf("unknown opcode 0x%02x", op)
		}
	}
}

// floor is the stack index below which items belong to an open MARK.
func (u *unpickler) floor() int {
	if len(u.marks) == 0 {
		return 0
	}
	return u.marks[len(u.marks)-1]
}

func (u *unpickler) appendTo(items ...any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pkList)
	if !ok {
		return u.errorf("APPEND to %s", pkDescribe(t))
	}
	l.items = append(l.items, items...)
	return nil
}

// setItems stores key/value pairs into d, or into the dict on top of the
// stack when d is nil.
func (u *unpickler) setItems(d *pkDict, items []any) error {
	if len(items)%2 != 0 {
		return u.errorf("odd number of items for a dict")
	}
	if d == nil {
		t, err := u.top()
		if err != nil {
			return err
		}
		var ok bool
		if d, ok = t.(*pkDict); !ok {
			return u.errorf("SETITEM on %s", pkDescribe(t))
		}
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return u.errorf("%v", err)
		}
	}
	return nil
}

// reduce applies an allowed callable.
func (u *unpickler) reduce(fn, argv any) (any, error) {
	g, ok := fn.(pkGlobal)
	if !ok {
		return nil, u.errorf("REDUCE on %s", pkDescribe(fn))
	}
	args, ok := argv.(pkTuple)
	if !ok {
		return nil, u.errorf("REDUCE arguments of %s are %s, not a tuple", g, pkDescribe(argv))
	}
	switch g.name {
	case "OrderedDict":
		if len(args) != 0 {
			return nil, u.errorf("OrderedDict with arguments is not supported")
		}
		return newPkDict(), nil
	case "_rebuild_tensor_v2":
		return u.rebuildTensor(args)
	case "_rebuild_parameter":
		if len(args) < 1 {
			return nil, u.errorf("_rebuild_parameter needs a tensor")
		}
		t, ok := args[0].(*tl.Tensor)
		if !ok {
			return nil, u.errorf("_rebuild_parameter of %s", pkDescribe(args[0]))
		}
		return t, nil
	}
	return nil, u.errorf("refusing to call %s", g)
}
