package repl

import tl "github.com/gotensor/gt/tensorlib"

// Hooks for the notebook kernel (package kernel), which drives a Session
// from Jupyter messages.

// CheckSyntax reports the first syntax error of an input (a *Error with
// its position), or nil when it parses; declarations and statements may be
// mixed, as in Eval. The kernel answers is_complete_request with it.
func CheckSyntax(src string) error {
	_, err := splitInput(src)
	return err
}

// TensorNames names the tensors reachable from the session's variables:
// tensor variables by their name, module parameters as var.param.path (the
// names :graph and :step show).
func (s *Session) TensorNames() map[*tl.Tensor]string { return s.paramNames() }
