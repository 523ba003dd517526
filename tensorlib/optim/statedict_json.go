package optim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	tl "github.com/gotensor/gt/tensorlib"
)

// maxJSONDims bounds the rank of a tensor read from JSON.
const maxJSONDims = 64

// MarshalJSON writes sd in PyTorch's state_dict layout:
//
//	{"state": {"0": {"step": T, "exp_avg": T, …}, …},
//	 "param_groups": [{"betas": [0.9, 0.999], "lr": 0.001, …, "params": [0, 1]}]}
//
// with every tensor T as {"dtype": "float32", "shape": [2, 3], "data": […]}:
// row-major values, floats as the shortest decimals that read back to the
// same value of their dtype, NaN and infinities as "nan", "inf", "-inf".
// A nil state tensor is written as null.
func (sd StateDict) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"state":{`)
	ids := make([]int, 0, len(sd.State))
	for id := range sd.State {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":{`, id)
		st := sd.State[id]
		keys := make([]string, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for j, k := range keys {
			if j > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeTensorJSON(&b, st[k])
		}
		b.WriteByte('}')
	}
	b.WriteString(`},"param_groups":[`)
	for i, g := range sd.ParamGroups {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		keys := make([]string, 0, len(g.Hyper))
		for k := range g.Hyper {
			if k != "params" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			writeJSONString(&b, k)
			b.WriteByte(':')
			if err := writeHyperJSON(&b, g.Hyper[k]); err != nil {
				return nil, fmt.Errorf("optim.StateDict: hyper-parameter %q: %w", k, err)
			}
			b.WriteByte(',')
		}
		b.WriteString(`"params":[`)
		for j, id := range g.Params {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(id))
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

func appendFloatJSON(dst []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, `"nan"`...)
	case math.IsInf(v, 1):
		return append(dst, `"inf"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-inf"`...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, bits)
}

func writeHyperJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case float64:
		b.Write(appendFloatJSON(nil, x, 64))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case [2]float64:
		b.WriteByte('[')
		b.Write(appendFloatJSON(nil, x[0], 64))
		b.WriteByte(',')
		b.Write(appendFloatJSON(nil, x[1], 64))
		b.WriteByte(']')
	default:
		nv, err := normalize(v)
		if err != nil {
			return err
		}
		return writeHyperJSON(b, nv)
	}
	return nil
}

// dtypeName is the dtype's name in the JSON layout ("float32", …).
func dtypeName(d tl.DType) string {
	switch d {
	case tl.Float32:
		return "float32"
	case tl.Float64:
		return "float64"
	case tl.Int64:
		return "int64"
	case tl.Bool:
		return "bool"
	}
	return d.String()
}

func writeTensorJSON(b *bytes.Buffer, t *tl.Tensor) {
	if t == nil {
		b.WriteString("null")
		return
	}
	fmt.Fprintf(b, `{"dtype":%q,"shape":[`, dtypeName(t.DType()))
	for i, s := range t.Shape() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(s))
	}
	b.WriteString(`],"data":[`)
	buf := make([]byte, 0, 32)
	sep := func(i int) {
		if i > 0 {
			b.WriteByte(',')
		}
	}
	switch t.DType() {
	case tl.Float32:
		for i, v := range t.Float32s() {
			sep(i)
			b.Write(appendFloatJSON(buf[:0], float64(v), 32))
		}
	case tl.Float64:
		for i, v := range t.Float64s() {
			sep(i)
			b.Write(appendFloatJSON(buf[:0], v, 64))
		}
	case tl.Int64:
		for i, v := range t.Int64s() {
			sep(i)
			b.WriteString(strconv.FormatInt(v, 10))
		}
	case tl.Bool:
		for i, v := range t.Bools() {
			sep(i)
			b.WriteString(strconv.FormatBool(v))
		}
	}
	b.WriteString("]}")
}

// UnmarshalJSON reads the layout MarshalJSON writes (and PyTorch's
// state_dict exported the same way). Null hyper-parameters and state
// entries are dropped. Malformed input gives an error; memory stays
// proportional to the input's size.
func (sd *StateDict) UnmarshalJSON(data []byte) error {
	var raw struct {
		State       map[string]map[string]json.RawMessage `json:"state"`
		ParamGroups []map[string]json.RawMessage          `json:"param_groups"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("optim.StateDict: %w", err)
	}
	out := StateDict{State: map[int]map[string]*tl.Tensor{}}
	for key, st := range raw.State {
		id, err := strconv.Atoi(key)
		if err != nil {
			return fmt.Errorf("optim.StateDict: state key %q is not a parameter number", key)
		}
		m := map[string]*tl.Tensor{}
		for name, rt := range st {
			t, err := decodeTensorJSON(rt)
			if err != nil {
				return fmt.Errorf("optim.StateDict: state %d %q: %w", id, name, err)
			}
			if t != nil {
				m[name] = t
			}
		}
		out.State[id] = m
	}
	for gi, rg := range raw.ParamGroups {
		gs := GroupState{Hyper: Hyper{}}
		for k, rv := range rg {
			if k == "params" {
				if err := json.Unmarshal(rv, &gs.Params); err != nil {
					return fmt.Errorf("optim.StateDict: group %d: params: %w", gi, err)
				}
				continue
			}
			v, err := decodeHyperJSON(rv)
			if err != nil {
				return fmt.Errorf("optim.StateDict: group %d: hyper-parameter %q: %w", gi, k, err)
			}
			if v != nil {
				gs.Hyper[k] = v
			}
		}
		if _, ok := rg["params"]; !ok {
			return fmt.Errorf("optim.StateDict: group %d has no params", gi)
		}
		out.ParamGroups = append(out.ParamGroups, gs)
	}
	*sd = out
	return nil
}

func decodeHyperJSON(rv json.RawMessage) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(rv))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil, bool:
		return x, nil
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case string:
		if f, ok := specialFloat(x); ok {
			return f, nil
		}
		return x, nil
	case []any:
		if len(x) == 2 {
			var p [2]float64
			for i, e := range x {
				switch n := e.(type) {
				case json.Number:
					f, err := strconv.ParseFloat(string(n), 64)
					if err != nil {
						return nil, err
					}
					p[i] = f
				case string:
					f, ok := specialFloat(n)
					if !ok {
						return nil, fmt.Errorf("pair element %q is not a number", n)
					}
					p[i] = f
				default:
					return nil, fmt.Errorf("pair element %v is not a number", e)
				}
			}
			return p, nil
		}
	}
	return nil, fmt.Errorf("unsupported value %s", string(rv))
}

func specialFloat(s string) (float64, bool) {
	switch s {
	case "nan", "NaN":
		return math.NaN(), true
	case "inf", "Infinity":
		return math.Inf(1), true
	case "-inf", "-Infinity":
		return math.Inf(-1), true
	}
	return 0, false
}

// jsonScalar keeps one element of a tensor's data as its JSON text.
type jsonScalar string

func (s *jsonScalar) UnmarshalJSON(b []byte) error {
	*s = jsonScalar(b)
	return nil
}

func decodeTensorJSON(rt json.RawMessage) (*tl.Tensor, error) {
	if string(bytes.TrimSpace(rt)) == "null" {
		return nil, nil
	}
	var tj struct {
		DType string       `json:"dtype"`
		Shape []int        `json:"shape"`
		Data  []jsonScalar `json:"data"`
	}
	if err := json.Unmarshal(rt, &tj); err != nil {
		return nil, err
	}
	if len(tj.Shape) > maxJSONDims {
		return nil, fmt.Errorf("%d dimensions", len(tj.Shape))
	}
	n := 1
	for _, s := range tj.Shape {
		if s < 0 {
			return nil, fmt.Errorf("negative size in shape %v", tj.Shape)
		}
		if s != 0 && n > len(tj.Data)/s+1 {
			return nil, fmt.Errorf("shape %v does not match %d values", tj.Shape, len(tj.Data))
		}
		n *= s
	}
	if n != len(tj.Data) {
		return nil, fmt.Errorf("shape %v needs %d values, got %d", tj.Shape, n, len(tj.Data))
	}
	var t *tl.Tensor
	switch tj.DType {
	case "float32", "float64":
		bits := 32
		if tj.DType == "float64" {
			bits = 64
		}
		vals := make([]float64, n)
		for i, s := range tj.Data {
			v, err := parseFloatJSON(string(s), bits)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		if bits == 32 {
			f := make([]float32, n)
			for i, v := range vals {
				f[i] = float32(v)
			}
			t = tl.FromFloat32s(f)
		} else {
			t = tl.FromFloat64s(vals)
		}
	case "int64":
		vals := make([]int64, n)
		for i, s := range tj.Data {
			v, err := strconv.ParseInt(string(s), 10, 64)
			if err != nil {
				// PyTorch writes integral floats (1.0) for some steps.
				f, ferr := strconv.ParseFloat(string(s), 64)
				if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
					return nil, fmt.Errorf("bad int64 value %s", string(s))
				}
				v = int64(f)
			}
			vals[i] = v
		}
		t = tl.FromInt64s(vals)
	case "bool":
		vals := make([]bool, n)
		for i, s := range tj.Data {
			v, err := strconv.ParseBool(string(s))
			if err != nil {
				return nil, fmt.Errorf("bad bool value %s", string(s))
			}
			vals[i] = v
		}
		t = tl.FromBools(vals)
	default:
		return nil, fmt.Errorf("unknown dtype %q", tj.DType)
	}
	return t.Reshape(tj.Shape...).Clone(), nil
}

func parseFloatJSON(s string, bits int) (float64, error) {
	if len(s) > 0 && s[0] == '"' {
		u, err := strconv.Unquote(s)
		if err == nil {
			if f, ok := specialFloat(u); ok {
				return f, nil
			}
		}
		return 0, fmt.Errorf("bad float value %s", s)
	}
	v, err := strconv.ParseFloat(s, bits)
	if err != nil {
		return 0, fmt.Errorf("bad float value %s", s)
	}
	return v, nil
}
