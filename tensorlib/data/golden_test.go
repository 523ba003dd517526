package data

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// The golden file is written by tools/golden/data.py (torch 1.13).

type goldenSplit struct {
	N       int       `json:"n"`
	Lengths []int     `json:"lengths"`
	Seed    uint64    `json:"seed"`
	Mode    string    `json:"mode"`
	Subsets [][]int   `json:"subsets"`
	After   []float32 `json:"after"`
}

type goldenLoader struct {
	N         int       `json:"n"`
	BatchSize int       `json:"batch_size"`
	Shuffle   bool      `json:"shuffle"`
	DropLast  bool      `json:"drop_last"`
	Seed      uint64    `json:"seed"`
	Mode      string    `json:"mode"`
	Len       int       `json:"len"`
	Epochs    [][][]int `json:"epochs"`
	After     []float32 `json:"after"`
}

// goldenNum is a JSON number or one of "nan", "inf", "-inf".
type goldenNum float64

func (g *goldenNum) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		f, err := strconv.ParseFloat(s, 64)
		*g = goldenNum(f)
		return err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*g = goldenNum(f)
	return err
}

type goldenIDX struct {
	File   string      `json:"file"`
	DType  string      `json:"dtype"`
	Shape  []int       `json:"shape"`
	Values []goldenNum `json:"values"`
}

type goldenMNISTSplit struct {
	ImagesShape []int     `json:"images_shape"`
	Images      []float32 `json:"images"`
	Labels      []int64   `json:"labels"`
}

type goldenData struct {
	Splits  []goldenSplit               `json:"splits"`
	Loaders []goldenLoader              `json:"loaders"`
	IDX     []goldenIDX                 `json:"idx"`
	MNIST   map[string]goldenMNISTSplit `json:"mnist"`
}

func loadGolden(t *testing.T) *goldenData {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenData
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// generatorFor returns the generator a golden case uses: a fresh explicit
// one, or the default one reseeded.
func generatorFor(mode string, seed uint64) (*tl.Generator, *tl.Generator) {
	if mode == "explicit" {
		g := tl.NewGenerator(seed)
		return g, g
	}
	tl.ManualSeed(seed)
	return nil, tl.DefaultGenerator()
}

func checkAfter(t *testing.T, g *tl.Generator, want []float32) {
	t.Helper()
	if got := g.Rand(3).Float32s(); !reflect.DeepEqual(got, want) {
		t.Errorf("generator stream after the case: got %v, want %v", got, want)
	}
}

func TestGoldenRandomSplit(t *testing.T) {
	g := loadGolden(t)
	if len(g.Splits) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.Splits {
		t.Run(fmt.Sprintf("%s/n%d/%v/seed%d", c.Mode, c.N, c.Lengths, c.Seed), func(t *testing.T) {
			arg, gen := generatorFor(c.Mode, c.Seed)
			ds := FuncDataset{N: c.N, Fn: func(i int) []*tl.Tensor { return nil }}
			parts := RandomSplit(ds, c.Lengths, arg)
			if len(parts) != len(c.Subsets) {
				t.Fatalf("got %d subsets, want %d", len(parts), len(c.Subsets))
			}
			for i, p := range parts {
				if p.Len() != len(c.Subsets[i]) || (len(p.Indices) > 0 && !reflect.DeepEqual(p.Indices, c.Subsets[i])) {
					t.Errorf("subset %d: got %v, want %v", i, p.Indices, c.Subsets[i])
				}
			}
			checkAfter(t, gen, c.After)
		})
	}
}

func TestGoldenDataLoader(t *testing.T) {
	g := loadGolden(t)
	if len(g.Loaders) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.Loaders {
		for _, workers := range []int{0, 3} {
			name := fmt.Sprintf("%s/n%d/bs%d/shuffle=%v/drop=%v/seed%d/workers%d", c.Mode, c.N, c.BatchSize, c.Shuffle, c.DropLast, c.Seed, workers)
			t.Run(name, func(t *testing.T) {
				arg, gen := generatorFor(c.Mode, c.Seed)
				ds := NewTensorDataset(tl.Arange(float64(c.N)).To(tl.Int64))
				l := NewDataLoader(ds, c.BatchSize, LoaderOptions{Shuffle: c.Shuffle, DropLast: c.DropLast, Generator: arg, NumWorkers: workers, PrefetchFactor: 1})
				if l.Len() != c.Len {
					t.Errorf("Len() = %d, want %d", l.Len(), c.Len)
				}
				for e, want := range c.Epochs {
					var got [][]int
					it := l.Iter()
					for it.Next() {
						b := it.Batch()
						var vals []int
						for _, v := range b[0].Int64s() {
							vals = append(vals, int(v))
						}
						if !reflect.DeepEqual(vals, it.Indices()) {
							t.Errorf("epoch %d: batch values %v but Indices %v", e, vals, it.Indices())
						}
						got = append(got, vals)
					}
					if err := it.Err(); err != nil {
						t.Fatal(err)
					}
					if len(got) == 0 && len(want) == 0 {
						continue
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("epoch %d: got %v, want %v", e, got, want)
					}
				}
				checkAfter(t, gen, c.After)
			})
		}
	}
}

func TestGoldenIDX(t *testing.T) {
	g := loadGolden(t)
	if len(g.IDX) == 0 {
		t.Fatal("no cases")
	}
	dtypes := map[string]tl.DType{"int64": tl.Int64, "float32": tl.Float32, "float64": tl.Float64}
	for _, c := range g.IDX {
		t.Run(c.File, func(t *testing.T) {
			x, err := ReadIDXFile(filepath.Join("testdata", "idx", c.File))
			if err != nil {
				t.Fatal(err)
			}
			if x.DType() != dtypes[c.DType] {
				t.Errorf("dtype %v, want %s", x.DType(), c.DType)
			}
			if !reflect.DeepEqual(x.Shape(), c.Shape) {
				t.Errorf("shape %v, want %v", x.Shape(), c.Shape)
			}
			got := x.Float64s()
			if len(got) != len(c.Values) {
				t.Fatalf("%d values, want %d", len(got), len(c.Values))
			}
			for i, w := range c.Values {
				want := float64(w)
				if c.DType == "float32" {
					want = float64(float32(want))
				}
				if got[i] != want && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
					t.Errorf("value %d: %v, want %v", i, got[i], want)
				}
			}
		})
	}
}

func TestGoldenMNIST(t *testing.T) {
	g := loadGolden(t)
	for _, train := range []bool{true, false} {
		key := map[bool]string{true: "train", false: "t10k"}[train]
		want, ok := g.MNIST[key]
		if !ok {
			t.Fatalf("no %s case", key)
		}
		t.Run(key, func(t *testing.T) {
			ds, err := LoadMNIST(filepath.Join("testdata", "mnist"), train)
			if err != nil {
				t.Fatal(err)
			}
			x, y := ds.Tensors()[0], ds.Tensors()[1]
			if !reflect.DeepEqual(x.Shape(), want.ImagesShape) || x.DType() != tl.Float32 {
				t.Errorf("images %v %v, want %v float32", x.Shape(), x.DType(), want.ImagesShape)
			}
			if !reflect.DeepEqual(x.Float32s(), want.Images) {
				t.Error("image values differ from torch's uint8/255")
			}
			if y.DType() != tl.Int64 || !reflect.DeepEqual(y.Int64s(), want.Labels) {
				t.Errorf("labels %v %v, want %v", y.DType(), y.Int64s(), want.Labels)
			}
			if ds.Len() != len(want.Labels) {
				t.Errorf("Len %d, want %d", ds.Len(), len(want.Labels))
			}
		})
	}
}
