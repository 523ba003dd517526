// Package nn provides neural-network layers, losses and module utilities in
// the shape of torch.nn, built only from tensorlib's public API.
//
// A module is any struct (usually used through a pointer) whose exported
// fields hold parameters (*tl.Tensor), buffers (*tl.Tensor tagged
// `gt:",buffer"`) and sub-modules (pointers to other module structs, or
// slices of them). No registration is needed: Parameters, NamedParameters,
// StateDict, LoadStateDict, Train, Eval, ZeroGrad and Apply find them by
// reflection, which also works for types declared in the gt REPL:
//
//	type LinearRegressionModel struct{ Linear *nn.Linear }
//
//	func (m *LinearRegressionModel) Forward(x *tl.Tensor) *tl.Tensor { return m.Linear.Forward(x) }
//
//	model := &LinearRegressionModel{Linear: nn.NewLinear(1, 1)}
//	for _, p := range nn.NamedParameters(model) {
//		fmt.Println(p.Name, p.Tensor.Detach()) // linear.weight …, linear.bias …
//	}
//
// Names follow PyTorch's: a field's name in snake_case ("Linear" → "linear",
// "SelfAttn" → "self_attn"), joined with dots, and slice elements by index,
// so state dicts interoperate with PyTorch's. A struct tag renames a field
// (`gt:"weight_ih_l0"`), marks a buffer (`gt:",buffer"` or
// `gt:"running_mean,buffer"`), inlines a slice's elements into the parent's
// names (`gt:",inline"`, as Sequential does) or hides it (`gt:"-"`).
//
// NamedParameters returns a slice rather than a map or an iterator so the
// order is PyTorch's and the loop also runs in the REPL's interpreter.
//
// Layers take their required sizes as arguments and optional settings as a
// trailing options struct whose zero value means PyTorch's defaults, e.g.
// NewLinear(4, 2, LinearOptions{NoBias: true}).
package nn
