package tensorlib_test

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Anomaly mode and creation sites. Each planted fault sits on the line after
// a runtime.Caller(0), so the test knows the file:line the error must name.

// grHere returns "file.go:N" for the line after the caller's.
func grHere() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), line+1)
}

// grAnomaly runs f with anomaly mode on and returns the *tl.Error it fails with.
func grAnomaly(t *testing.T, f func()) *tl.Error {
	t.Helper()
	tl.DetectAnomaly(true)
	defer tl.DetectAnomaly(false)
	return agCatch(t, f)
}

func TestAnomalyForward(t *testing.T) {
	zero := []float32{1, 0, 2}
	for _, tc := range []struct {
		name, op, values string
		run              func(x, y *tl.Tensor) (site string)
	}{
		{"log of zero", "Log", "1 Inf value", func(x, _ *tl.Tensor) string {
			site := grHere()
			x.Log()
			return site
		}},
		{"division by zero", "Div", "1 Inf value", func(x, y *tl.Tensor) string {
			site := grHere()
			y.Div(x)
			return site
		}},
		{"zero over zero", "Div", "1 NaN value", func(x, _ *tl.Tensor) string {
			z := x.MulScalar(0)
			site := grHere()
			z.Div(x)
			return site
		}},
	} {
		for _, grad := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/requires_grad=%v", tc.name, grad), func(t *testing.T) {
				x := tl.FromFloat32s(zero, 3).SetRequiresGrad(grad)
				y := tl.FromFloat32s([]float32{1, 1, 1}, 3)
				var site string
				e := grAnomaly(t, func() { site = tc.run(x, y) })
				if e == nil {
					t.Fatal("anomaly mode did not fail")
				}
				if e.Op != tc.op {
					t.Errorf("Op = %q, want %q", e.Op, tc.op)
				}
				for _, frag := range []string{"anomaly detected", tc.values, "created at ", site, "inputs were finite"} {
					if !strings.Contains(e.Msg, frag) {
						t.Errorf("message lacks %q:\n%s", frag, e.Msg)
					}
				}
			})
		}
	}
	// Off: the same ops just produce the values.
	x := tl.FromFloat32s(zero, 3).SetRequiresGrad(true)
	if v := x.Log().Float32s()[1]; !math.IsInf(float64(v), -1) {
		t.Errorf("log(0) = %v with anomaly mode off", v)
	}
	if tl.IsAnomalyEnabled() {
		t.Error("anomaly mode still on")
	}
}

func TestAnomalyNonFiniteInput(t *testing.T) {
	x := tl.FromFloat32s([]float32{float32(math.NaN()), 1}, 2)
	e := grAnomaly(t, func() { x.Exp() })
	if e == nil || e.Op != "Exp" || !strings.Contains(e.Msg, "input 0 already held 1 NaN value") {
		t.Errorf("got %v", e)
	}
}

func TestAnomalyBackward(t *testing.T) {
	golden := grLoad(t)
	want := map[string]string{}
	for _, a := range golden.Anomaly {
		want[a.Name] = strings.TrimSuffix(a.Message, ".")
	}
	for _, tc := range []struct {
		name, op string
		run      func() string
	}{
		{"sqrt_zero_backward", "SqrtBackward0", func() string {
			x := tl.FromFloat32s([]float32{0, 4}, 2).SetRequiresGrad(true)
			site := grHere()
			y := x.Sqrt()
			y.MulScalar(0).Sum().Backward()
			return site
		}},
		{"pow_half_zero_backward", "PowBackward0", func() string {
			x := tl.FromFloat32s([]float32{4, 0}, 2).SetRequiresGrad(true)
			site := grHere()
			y := x.Pow(0.5)
			y.MulScalar(0).Sum().Backward()
			return site
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if want[tc.name] == "" {
				t.Fatalf("no torch message for %s", tc.name)
			}
			var site string
			e := grAnomaly(t, func() { site = tc.run() })
			if e == nil {
				t.Fatal("anomaly mode did not fail")
			}
			if e.Op != tc.op {
				t.Errorf("Op = %q, want %q", e.Op, tc.op)
			}
			// PyTorch's message, then the forward site and traceback.
			for _, frag := range []string{want[tc.name], "1 NaN value", "created at ", site, "forward traceback", "TestAnomalyBackward"} {
				if !strings.Contains(e.Msg, frag) {
					t.Errorf("message lacks %q:\n%s", frag, e.Msg)
				}
			}
		})
	}
}

func TestAnomalyWithoutSites(t *testing.T) {
	// A graph built before anomaly mode has no sites; the error says so.
	x := tl.FromFloat32s([]float32{0}, 1).SetRequiresGrad(true)
	loss := x.Sqrt().MulScalar(0).Sum()
	e := grAnomaly(t, func() { loss.Backward() })
	if e == nil || e.Op != "SqrtBackward0" || !strings.Contains(e.Msg, "not recorded") {
		t.Errorf("got %v", e)
	}
}

func TestSites(t *testing.T) {
	x := tl.Ones(2).SetRequiresGrad(true)
	if n := x.Exp().GradFn(); n.Site() != "" || n.Stack() != nil {
		t.Errorf("site recorded with debug off: %q", n.Site())
	}
	tl.SetDebug(true)
	defer tl.SetDebug(false)
	if !tl.IsDebug() {
		t.Error("IsDebug is false")
	}
	site := grHere()
	n := x.Exp().GradFn()
	if got := tl.ShortSite(n.Site()); got != site {
		t.Errorf("Site = %q, want %q", got, site)
	}
	if st := n.Stack(); len(st) == 0 || !strings.Contains(st[0], site) || !strings.Contains(st[0], "TestSites") {
		t.Errorf("Stack = %q", st)
	}
	// Through a method value defined in a test: the test's line still.
	f := tl.Function{
		Name:     "TwiceBackward0",
		Forward:  func(in []*tl.Tensor) *tl.Tensor { return in[0].MulScalar(2) },
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor { return []*tl.Tensor{g.MulScalar(2)} },
	}
	site = grHere()
	if got := tl.ShortSite(f.Apply(x).GradFn().Site()); got != site {
		t.Errorf("Function site = %q, want %q", got, site)
	}
	// SetSiteFunc names sites whose caller is an interpreter's machinery (here
	// reflect's call, as under yaegi); Go callers keep their file:line.
	tl.SetSiteFunc(func() string { return "In[3]:2" })
	viaReflect := reflect.ValueOf(x.Exp).Call(nil)[0].Interface().(*tl.Tensor)
	if got := viaReflect.GradFn().Site(); got != "In[3]:2" {
		t.Errorf("SetSiteFunc site of an op called through reflect = %q", got)
	}
	if got := tl.ShortSite(x.Exp().GradFn().Site()); !strings.HasPrefix(got, "anomaly_test.go:") {
		t.Errorf("with SetSiteFunc, a Go caller's site = %q", got)
	}
	tl.SetSiteFunc(nil)
	if got := tl.ShortSite(x.Exp().GradFn().Site()); !strings.HasPrefix(got, "anomaly_test.go:") {
		t.Errorf("after SetSiteFunc(nil): %q", got)
	}
}

func ExampleDetectAnomaly() {
	x := tl.FromFloat32s([]float32{1, 0}, 2).SetRequiresGrad(true)
	tl.DetectAnomaly(true)
	defer tl.DetectAnomaly(false)
	err := tl.Catch(func() { x.Log() })
	e := err.(*tl.Error)
	fmt.Println(e.Op)
	fmt.Println(strings.Split(e.Msg, ";")[0])
	// Output:
	// Log
	// anomaly detected: the forward of Log (LogBackward0) produced 1 Inf value in its output (its inputs were finite)
}
