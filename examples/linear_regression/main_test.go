package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWalkthroughMatchesPyTorch checks every number the walkthrough prints
// against testdata/reference.out, the output of the same program in PyTorch
// 1.13 (tools/golden has no script for it: it is the team's reference run).
func TestWalkthroughMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/reference.out")
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var buf bytes.Buffer
	r := run(&buf)
	out := buf.String()

	// Initial parameters: "linear.weight tensor([[0.4801]])".
	for _, line := range ref[:2] {
		name, value, _ := strings.Cut(line, " ")
		want := "パラメータ名: " + name + ", 初期値: " + value
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in output:\n%s", want, out)
		}
	}
	// The loss every 10th epoch, in order.
	var epochs []string
	for _, line := range ref {
		if strings.HasPrefix(line, "Epoch [") {
			epochs = append(epochs, line)
		}
	}
	if len(epochs) != 10 {
		t.Fatalf("reference has %d epoch lines", len(epochs))
	}
	var got []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Epoch [") {
			got = append(got, line)
		}
	}
	if strings.Join(got, "\n") != strings.Join(epochs, "\n") {
		t.Errorf("epoch losses differ from PyTorch:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(epochs, "\n"))
	}
	// Learned weight and bias: PyTorch printed them with all digits.
	fields := strings.Fields(ref[12])
	wantW, _ := strconv.ParseFloat(fields[0], 64)
	wantB, _ := strconv.ParseFloat(fields[1], 64)
	if w, b := r.Model.Linear.Weight.Item(), r.Model.Linear.Bias.Item(); w != wantW || b != wantB {
		t.Errorf("learned (w, b) = (%v, %v), PyTorch (%v, %v)", w, b, wantW, wantB)
	}
	// X_train[:5] and y_train[:5] as PyTorch prints them.
	xRef := strings.Join(ref[13:18], "\n")
	yRef := strings.Join(ref[18:23], "\n")
	if !strings.Contains(out, "X_train: "+xRef+"\n") || !strings.Contains(out, "y_train: "+yRef+"\n") {
		t.Errorf("first rows differ from PyTorch's:\n%s\nwant\n%s\n%s", out, xRef, yRef)
	}
	if len(r.LossHistory) != 100 || r.LossHistory[99] >= r.LossHistory[0] {
		t.Errorf("loss history %d entries, first %v last %v", len(r.LossHistory), r.LossHistory[0], r.LossHistory[len(r.LossHistory)-1])
	}
}

func TestWritePlots(t *testing.T) {
	r := run(&bytes.Buffer{})
	dir := t.TempDir()
	if err := writePlots(dir, r); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"loss.png", "regression.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
			t.Errorf("%s is only %v", name, b)
		}
	}
}
