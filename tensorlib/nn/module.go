package nn

import (
	"reflect"
	"strings"
	"unicode"

	tl "github.com/gotensor/gt/tensorlib"
)

// Layer is a module with a single-tensor forward pass; Sequential chains them.
type Layer interface {
	Forward(x *tl.Tensor) *tl.Tensor
}

// Trainer is implemented by modules whose behaviour depends on training mode
// (Dropout, BatchNorm). Train and Eval call it on every such module.
type Trainer interface {
	SetTraining(training bool)
}

// NamedTensor is a tensor with its dotted PyTorch-style name.
type NamedTensor struct {
	Name   string
	Tensor *tl.Tensor
}

// NamedModule is a sub-module with its dotted name ("" for the root).
type NamedModule struct {
	Name   string
	Module any
}

var (
	tensorType       = reflect.TypeOf((*tl.Tensor)(nil))
	namedTensorsType = reflect.TypeOf([]NamedTensor(nil))
)

// fieldTag is the parsed `gt:"name,opts"` struct tag.
type fieldTag struct {
	name         string
	skip, buffer bool
	inline       bool
}

func parseTag(f reflect.StructField) fieldTag {
	tag, ok := f.Tag.Lookup("gt")
	ft := fieldTag{name: snakeCase(f.Name)}
	if !ok {
		return ft
	}
	if tag == "-" {
		ft.skip = true
		return ft
	}
	parts := strings.Split(tag, ",")
	if parts[0] != "" {
		ft.name = parts[0]
	}
	for _, o := range parts[1:] {
		switch o {
		case "buffer":
			ft.buffer = true
		case "inline":
			ft.inline = true
		}
	}
	return ft
}

// snakeCase converts a Go field name to PyTorch's style: "SelfAttn" →
// "self_attn", "FC1" → "fc1", "Linear" → "linear".
func snakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			prevLower := i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]))
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			prevUpper := i > 0 && unicode.IsUpper(r[i-1])
			if i > 0 && (prevLower || (prevUpper && nextLower)) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	if name == "" {
		return prefix
	}
	return prefix + "." + name
}

// visitor receives what walk finds, in PyTorch's order: for each module
// (pre-order), its own parameters, then its buffers, then its children.
type visitor struct {
	module func(name string, m any)
	param  func(name string, t *tl.Tensor)
	buffer func(name string, t *tl.Tensor)
}

// walk visits the module tree rooted at m.
func walk(m any, v visitor) {
	seen := map[uintptr]bool{}
	walkValue("", reflect.ValueOf(m), v, seen)
}

// moduleStruct returns the struct behind v (through pointers and
// interfaces), and whether v is a module worth descending into.
func moduleStruct(v reflect.Value) (reflect.Value, bool) {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		if v.Type() == tensorType {
			return reflect.Value{}, false
		}
		v = v.Elem()
	}
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	if v.Type().PkgPath() == "github.com/gotensor/gt/tensorlib" {
		return reflect.Value{}, false // tensorlib values (Generator, …) are not modules
	}
	return v, true
}

func walkValue(prefix string, rv reflect.Value, v visitor, seen map[uintptr]bool) {
	for rv.Kind() == reflect.Interface && !rv.IsNil() {
		rv = rv.Elem() // a Layer in a slice: deduplicate the pointer inside
	}
	// Pointers to zero-size modules (&ReLU{}) may all be equal, so only
	// modules with state are deduplicated.
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Type().Elem().Size() > 0 {
		if seen[rv.Pointer()] {
			return
		}
		seen[rv.Pointer()] = true
	}
	sv, ok := moduleStruct(rv)
	if !ok {
		return
	}
	if v.module != nil {
		v.module(prefix, rv.Interface())
	}
	st := sv.Type()
	type child struct {
		name   string
		val    reflect.Value
		inline bool
	}
	var children []child
	var buffers []NamedTensor
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := parseTag(f)
		if tag.skip {
			continue
		}
		fv := sv.Field(i)
		name := join(prefix, tag.name)
		switch {
		case f.Type == tensorType:
			if fv.IsNil() {
				continue
			}
			t := fv.Interface().(*tl.Tensor)
			if tag.buffer {
				buffers = append(buffers, NamedTensor{name, t})
			} else if v.param != nil {
				v.param(name, t)
			}
		case f.Type.Kind() == reflect.Slice && f.Type.Elem() == tensorType:
			for j := 0; j < fv.Len(); j++ {
				if t, _ := fv.Index(j).Interface().(*tl.Tensor); t != nil {
					n := join(name, itoa(j))
					if tag.buffer {
						buffers = append(buffers, NamedTensor{n, t})
					} else if v.param != nil {
						v.param(n, t)
					}
				}
			}
		case f.Type == namedTensorsType:
			// Tensors carrying their own names (RNN's weight_ih_l0, …),
			// listed under the module's prefix, not the field's name.
			for _, nt := range fv.Interface().([]NamedTensor) {
				if nt.Tensor == nil {
					continue
				}
				if n := join(prefix, nt.Name); tag.buffer {
					buffers = append(buffers, NamedTensor{n, nt.Tensor})
				} else if v.param != nil {
					v.param(n, nt.Tensor)
				}
			}
		default:
			children = append(children, child{name, fv, tag.inline})
		}
	}
	if v.buffer != nil {
		for _, b := range buffers {
			v.buffer(b.Name, b.Tensor)
		}
	}
	for _, c := range children {
		switch c.val.Kind() {
		case reflect.Slice, reflect.Array:
			base := c.name
			if c.inline {
				base = prefix
			}
			for j := 0; j < c.val.Len(); j++ {
				walkValue(join(base, itoa(j)), c.val.Index(j), v, seen)
			}
		default:
			walkValue(c.name, c.val, v, seen)
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// NamedParameters returns m's parameters with their dotted names, in
// PyTorch's order. A tensor reachable twice is listed once.
func NamedParameters(m any) []NamedTensor {
	var out []NamedTensor
	seen := map[*tl.Tensor]bool{}
	walk(m, visitor{param: func(name string, t *tl.Tensor) {
		if !seen[t] {
			seen[t] = true
			out = append(out, NamedTensor{name, t})
		}
	}})
	return out
}

// Parameters returns m's parameters in PyTorch's order.
func Parameters(m any) []*tl.Tensor {
	named := NamedParameters(m)
	out := make([]*tl.Tensor, len(named))
	for i, p := range named {
		out[i] = p.Tensor
	}
	return out
}

// NamedBuffers returns m's buffers (e.g. BatchNorm's running statistics).
func NamedBuffers(m any) []NamedTensor {
	var out []NamedTensor
	walk(m, visitor{buffer: func(name string, t *tl.Tensor) { out = append(out, NamedTensor{name, t}) }})
	return out
}

// NamedModules returns m and all its sub-modules with their dotted names,
// root first ("" is the root's name).
func NamedModules(m any) []NamedModule {
	var out []NamedModule
	walk(m, visitor{module: func(name string, mod any) { out = append(out, NamedModule{name, mod}) }})
	return out
}

// Apply calls fn on every module of the tree, children before parents, like
// torch.nn.Module.apply (e.g. for custom initialisation).
func Apply(m any, fn func(module any)) {
	mods := NamedModules(m)
	for i := len(mods) - 1; i >= 0; i-- {
		fn(mods[i].Module)
	}
}

// Train puts every module of m that has a training mode into training mode.
func Train(m any) { setTraining(m, true) }

// Eval puts every module of m that has a training mode into evaluation mode.
func Eval(m any) { setTraining(m, false) }

func setTraining(m any, on bool) {
	for _, nm := range NamedModules(m) {
		if t, ok := nm.Module.(Trainer); ok {
			t.SetTraining(on)
		}
	}
}

// ZeroGrad clears the gradients of m's parameters.
func ZeroGrad(m any) {
	for _, p := range Parameters(m) {
		p.SetGrad(nil)
	}
}

// NumParameters returns the total number of parameter elements in m.
func NumParameters(m any) int {
	n := 0
	for _, p := range Parameters(m) {
		n += p.Numel()
	}
	return n
}
