package repl

import "testing"

// TestDefineFromIndexedVariable covers yaegi's "constant definition loop"
// and compiler panic on `name := v[i]…` where v came from an earlier input.
func TestDefineFromIndexedVariable(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, "x := tl.Arange(6)")
	mustEval(t, s, "ps := x.Split(2, 0)")
	cases := []struct{ def, show, want string }{
		{"q := ps[0]", "q", "tensor([0, 1])"},
		{"r := ps[1].MulScalar(2)", "r", "tensor([4, 6])"},
		{"m := map[string]int{\"a\": 7}", "m[\"a\"]", "7"},
		{"k := m[\"a\"]", "k", "7"},
		{"vals := []float64{1.5, 2}", "vals[0]", "1.5"},
		{"v0 := vals[0] * 2", "v0", "3"},
	}
	for _, c := range cases {
		mustEval(t, s, c.def)
		if got := mustEval(t, s, c.show); got != c.want {
			t.Errorf("after %q, %s = %q, want %q", c.def, c.show, got, c.want)
		}
	}
	// The retry keeps real errors as they were.
	if e := evalErr(t, s, "bad := zz[0]"); e.Msg != "undefined: zz" {
		t.Errorf("bad := zz[0]: %v", e)
	}
}

// TestCreationSitesNameInputs checks that autograd nodes created at the
// prompt with tl.SetDebug on are located by input number, not by the
// interpreter's Go frames.
func TestCreationSitesNameInputs(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, "tl.SetDebug(true)")
	defer mustEval(t, s, "tl.SetDebug(false)")
	mustEval(t, s, "x := tl.Ones(2).SetRequiresGrad(true)")
	mustEval(t, s, "y := x.MulScalar(2).Sum()")
	if got := mustEval(t, s, "y.GradFn().Site()"); got != `"In[3]"` {
		t.Errorf("site of a node made by the 3rd input = %s", got)
	}
}
