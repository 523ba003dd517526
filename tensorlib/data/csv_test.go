package data

import (
	"math"
	"reflect"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

func TestReadCSV(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		opts  CSVOptions
		shape []int
		vals  []float64
		names []string
	}{
		{"auto header", "a,b\n1,2\n3.5,-4e2\n", CSVOptions{}, []int{2, 2}, []float64{1, 2, 3.5, -400}, []string{"a", "b"}},
		{"auto no header", "1,2\n3,4\n", CSVOptions{}, []int{2, 2}, []float64{1, 2, 3, 4}, nil},
		{"numeric header", "1,2\n3,4\n", CSVOptions{Header: HeaderPresent}, []int{1, 2}, []float64{3, 4}, []string{"1", "2"}},
		{"forced no header", "1,2\n3,4\n", CSVOptions{Header: HeaderAbsent}, []int{2, 2}, []float64{1, 2, 3, 4}, nil},
		{"spaces and CRLF", " x , y \r\n 1 , 2 \r\n", CSVOptions{}, []int{1, 2}, []float64{1, 2}, []string{"x", "y"}},
		{"select columns", "id,name,score\n1,ann,0.5\n2,bob,0.25\n", CSVOptions{Columns: []string{"score", "id"}}, []int{2, 2}, []float64{0.5, 1, 0.25, 2}, []string{"score", "id"}},
		{"semicolon and comment", "# data\na;b\n1;2\n", CSVOptions{Comma: ';', Comment: '#'}, []int{1, 2}, []float64{1, 2}, []string{"a", "b"}},
		{"header only", "a,b\n", CSVOptions{}, []int{0, 2}, []float64{}, []string{"a", "b"}},
		{"quoted", "\"a\",\"b\"\n\"1\",2\n", CSVOptions{}, []int{1, 2}, []float64{1, 2}, []string{"a", "b"}},
		{"float64", "0.1\n", CSVOptions{Float64: true}, []int{1, 1}, []float64{0.1}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, names, err := ReadCSV(strings.NewReader(c.in), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := tl.FromFloat64s(c.vals, c.shape...)
			if !c.opts.Float64 {
				want = want.To(tl.Float32)
			}
			if x.DType() != want.DType() || !reflect.DeepEqual(x.Shape(), c.shape) || !reflect.DeepEqual(x.Float64s(), want.Float64s()) {
				t.Errorf("got %v %v %v, want %v %v", x.DType(), x.Shape(), x.Float64s(), c.shape, want.Float64s())
			}
			if !reflect.DeepEqual(names, c.names) {
				t.Errorf("names %q, want %q", names, c.names)
			}
		})
	}
}

func TestReadCSVMissing(t *testing.T) {
	x, _, err := ReadCSV(strings.NewReader("a,b\n1,\nNA,nan\n"), CSVOptions{MissingAsNaN: true})
	if err != nil {
		t.Fatal(err)
	}
	v := x.Float64s()
	if v[0] != 1 || !math.IsNaN(v[1]) || !math.IsNaN(v[2]) || !math.IsNaN(v[3]) {
		t.Errorf("got %v", v)
	}
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		name string
		in   string
		opts CSVOptions
		want string
	}{
		{"empty", "", CSVOptions{}, "empty input"},
		{"bad number", "a,b\n1,2\n3,x\n", CSVOptions{}, `line 3, column 3 ("b"): cannot parse "x"`},
		{"bad number no header", "1,2\n3,x\n", CSVOptions{}, `line 2, column 3: cannot parse "x"`},
		{"missing value", "a,b\n1,\n", CSVOptions{}, `line 2, column 3 ("b"): cannot parse ""`},
		{"ragged", "a,b\n1,2\n3\n", CSVOptions{}, "line 3"},
		{"bad quote", "a,b\n1,\"2\n", CSVOptions{}, "line 2"},
		{"unknown column", "a,b\n1,2\n", CSVOptions{Columns: []string{"c"}}, `no column "c"`},
		{"columns without header", "1,2\n", CSVOptions{Columns: []string{"a"}, Header: HeaderAbsent}, "no header"},
		{"text without header", "x,y\n", CSVOptions{Header: HeaderAbsent}, "line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ReadCSV(strings.NewReader(c.in), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
