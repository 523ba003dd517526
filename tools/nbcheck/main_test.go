package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const refPath = "../../examples/linear_regression/testdata/reference.out"

// goodOutput is what the walkthrough prints, as the notebook prints it.
const goodOutput = `parameter: linear.weight, initial value: tensor([[0.4801]])
parameter: linear.bias, initial value: tensor([0.8415])
first 5 inputs X_train: tensor([[ 19.2692],
        [ 14.8728],
        [  9.0072],
        [-21.0552],
        [  6.7842]])
first 5 outputs y_train: tensor([[ 40.9907],
        [ 30.9280],
        [ 18.2362],
        [-40.0546],
        [ 16.6306]])
Epoch [10/100], Loss: 68.3390
Epoch [20/100], Loss: 19.6446
Epoch [30/100], Loss: 7.3134
Epoch [40/100], Loss: 4.1889
Epoch [50/100], Loss: 3.3958
Epoch [60/100], Loss: 3.1937
Epoch [70/100], Loss: 3.1416
Epoch [80/100], Loss: 3.1278
Epoch [90/100], Loss: 3.1239
Epoch [100/100], Loss: 3.1226
true weight w: 2.0, true bias b: 1.0
learned weight w: 2.0010, learned bias b: 1.0419
`

// executed builds an executed notebook: one code cell per output list.
func executed(t *testing.T, cells ...[]map[string]any) []byte {
	t.Helper()
	var cs []map[string]any
	for i, outs := range cells {
		n := i + 1
		cs = append(cs, map[string]any{"cell_type": "markdown", "source": "text"})
		cs = append(cs, map[string]any{"cell_type": "code", "execution_count": &n, "source": []string{"%%\n", "run()"}, "outputs": outs})
	}
	b, err := json.Marshal(map[string]any{"cells": cs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stream(name, text string) map[string]any {
	return map[string]any{"output_type": "stream", "name": name, "text": strings.SplitAfter(text, "\n")}
}

func display(data map[string]any) map[string]any {
	return map[string]any{"output_type": "display_data", "data": data, "metadata": map[string]any{}}
}

func TestCheck(t *testing.T) {
	png := display(map[string]any{"image/png": "iVBORw0KGgo=", "text/plain": "chart"})
	live := display(map[string]any{"text/html": `<img src="data:image/png;base64,iVBO">`, "text/plain": "100/100"})
	graph := display(map[string]any{"text/html": []string{"<div><svg>", "</svg></div>"}, "text/plain": "tree"})
	ref := Expect{Reference: refPath, Images: 2, Contains: []string{"100/100"}}
	tests := []struct {
		name  string
		nb    []byte
		exp   Expect
		wants []string // substrings of the problems; none means it passes
	}{
		{"passes", executed(t, []map[string]any{stream("stdout", goodOutput)}, []map[string]any{png, live}), ref, nil},
		{"svg counts as an image", executed(t, []map[string]any{graph}), Expect{Images: 1}, nil},
		{"error output", executed(t, []map[string]any{{"output_type": "error", "ename": "ERROR", "evalue": "panic: boom", "traceback": []string{"main.go:3"}}}),
			Expect{}, []string{"cell 2", "error ERROR: panic: boom", "main.go:3"}},
		{"stderr", executed(t, []map[string]any{stream("stderr", "warning\n")}), Expect{}, []string{"wrote to stderr"}},
		{"missing images", executed(t, []map[string]any{stream("stdout", "x\n")}), Expect{Images: 1}, []string{"0 images"}},
		{"missing text", executed(t, []map[string]any{stream("stdout", "x\n")}), Expect{Contains: []string{"loss"}}, []string{`lacks "loss"`}},
		{"wrong epoch loss", executed(t, []map[string]any{stream("stdout", strings.Replace(goodOutput, "Loss: 7.3134", "Loss: 7.3135", 1))}, []map[string]any{png, live}),
			ref, []string{`missing (or out of order) "Epoch [30/100], Loss: 7.3134"`}},
		{"epochs out of order", executed(t, []map[string]any{stream("stdout", strings.Replace(goodOutput, "Epoch [10/100], Loss: 68.3390\n", "", 1)+"Epoch [10/100], Loss: 68.3390\n")}, []map[string]any{png, live}),
			ref, []string{"Epoch [20/100]"}},
		{"wrong learned bias", executed(t, []map[string]any{stream("stdout", strings.Replace(goodOutput, "b: 1.0419", "b: 1.0420", 1))}, []map[string]any{png, live}),
			ref, []string{"learned bias 1.0420, PyTorch 1.0419"}},
		{"wrong initial weight", executed(t, []map[string]any{stream("stdout", strings.Replace(goodOutput, "0.4801", "0.4802", 1))}, []map[string]any{png, live}),
			ref, []string{"linear.weight and its initial value"}},
		{"wrong first rows", executed(t, []map[string]any{stream("stdout", strings.Replace(goodOutput, "-40.0546", "-40.0547", 1))}, []map[string]any{png, live}),
			ref, []string{"[-40.0546]"}},
		{"not executed", []byte(`{"cells":[{"cell_type":"code","execution_count":null,"source":"x","outputs":[]}]}`), Expect{}, []string{"not executed"}},
		{"not a notebook", []byte(`{`), Expect{}, []string{"not a notebook"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := Check(tc.nb, tc.exp)
			all := strings.Join(problems, "\n")
			if len(tc.wants) == 0 && len(problems) > 0 {
				t.Fatalf("unexpected problems:\n%s", all)
			}
			if len(tc.wants) > 0 && len(problems) == 0 {
				t.Fatalf("passed, want problems %q", tc.wants)
			}
			for _, w := range tc.wants {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "expect.json")
	if err := os.WriteFile(spec, []byte(`{"a.ipynb": {"contains": ["hello"]}, "b.ipynb": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	os.WriteFile(filepath.Join(out, "a.ipynb"), executed(t, []map[string]any{stream("stdout", "hello\n")}), 0o644)
	os.WriteFile(filepath.Join(out, "c.ipynb"), executed(t, nil), 0o644)
	problems, err := run(spec, out)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	for _, w := range []string{"b.ipynb: not executed", "c.ipynb: not in"} {
		if !strings.Contains(all, w) {
			t.Errorf("problems lack %q:\n%s", w, all)
		}
	}
	if strings.Contains(all, "a.ipynb") {
		t.Errorf("a.ipynb should pass:\n%s", all)
	}
}

// TestSpecNamesEveryNotebook keeps notebooks/testdata/expect.json in step
// with notebooks/*.ipynb.
func TestSpecNamesEveryNotebook(t *testing.T) {
	raw, err := os.ReadFile("../../notebooks/testdata/expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]Expect
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	nbs, _ := filepath.Glob("../../notebooks/*.ipynb")
	if len(nbs) == 0 {
		t.Fatal("no notebooks")
	}
	for _, nb := range nbs {
		if _, ok := spec[filepath.Base(nb)]; !ok {
			t.Errorf("%s has no expectations in notebooks/testdata/expect.json", filepath.Base(nb))
		}
	}
	for name, e := range spec {
		if _, err := os.Stat(filepath.Join("../../notebooks", name)); err != nil {
			t.Errorf("expect.json names %s, which does not exist", name)
		}
		if e.Reference != "" {
			if _, err := os.Stat(filepath.Join("../..", e.Reference)); err != nil {
				t.Errorf("%s: reference %v", name, err)
			}
		}
	}
}
