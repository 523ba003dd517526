package repl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
)

// The autograd views here are plain text: :graph prints the graph behind a
// tensor as an indented tree, :step steps through its backward pass with a
// small sub-prompt. A richer rendering can replace this file.

// tensorArg evaluates a command's argument to a tensor.
func (s *Session) tensorArg(ctx context.Context, cmd, expr string) (*tl.Tensor, error) {
	v, err := s.value(ctx, expr)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*tl.Tensor)
	if !ok || t == nil {
		return nil, &Error{Kind: CommandError, Msg: fmt.Sprintf(":%s wants a tensor; %s is a %s", cmd, expr, s.typeString(reflect.TypeOf(v)))}
	}
	return t, nil
}

// paramNames names the tensors reachable from the session's variables:
// tensor variables by their name, module parameters as var.param.path.
func (s *Session) paramNames() map[*tl.Tensor]string {
	names := map[*tl.Tensor]string{}
	for _, v := range s.Vars() {
		if t, ok := v.Value.(*tl.Tensor); ok && t != nil {
			if _, dup := names[t]; !dup {
				names[t] = v.Name
			}
			continue
		}
		if v.Value == nil {
			continue
		}
		func() {
			defer func() { _ = recover() }() // not a module
			for _, p := range nn.NamedParameters(v.Value) {
				if _, dup := names[p.Tensor]; !dup {
					names[p.Tensor] = v.Name + "." + p.Name
				}
			}
		}()
	}
	return names
}

// GraphText renders the autograd graph behind t as an indented tree of
// backward nodes with their output shapes; leaves show the parameter's name
// when names knows it. A node reached twice is printed once.
func GraphText(t *tl.Tensor, names map[*tl.Tensor]string) string {
	root := t.GradFn()
	if root == nil {
		if t.RequiresGrad() {
			return fmt.Sprintf("leaf %s %s (requires_grad, no graph)", leafName(t, names), shapeString(t.Shape()))
		}
		return "no autograd graph (the tensor does not require grad)"
	}
	var b strings.Builder
	seen := map[*tl.Node]int{}
	var walk func(n *tl.Node, depth int)
	walk = func(n *tl.Node, depth int) {
		indent := strings.Repeat("  ", depth)
		if id, ok := seen[n]; ok {
			fmt.Fprintf(&b, "%s%s (#%d, shown above)\n", indent, n.Name(), id)
			return
		}
		seen[n] = len(seen) + 1
		label := n.Name()
		if v := n.Variable(); v != nil {
			label += " " + leafName(v, names)
		}
		fmt.Fprintf(&b, "%s%s %s #%d\n", indent, label, shapeString(n.OutputShape()), seen[n])
		for _, c := range n.Next() {
			if c != nil {
				walk(c, depth+1)
			}
		}
	}
	walk(root, 0)
	return strings.TrimRight(b.String(), "\n")
}

func leafName(t *tl.Tensor, names map[*tl.Tensor]string) string {
	if n, ok := names[t]; ok {
		return n
	}
	if n := t.Name(); n != "" {
		return n
	}
	return "(leaf)"
}

func cmdGraph(ctx context.Context, s *Session, arg string) (Result, error) {
	t, err := s.tensorArg(ctx, "graph", arg)
	if err != nil {
		return Result{}, err
	}
	return textResult(GraphText(t, s.paramNames())), nil
}

// readLine reads a line for a sub-prompt.
func (s *Session) readLine(prompt string) (string, error) {
	if s.opts.ReadLine != nil {
		return s.opts.ReadLine(prompt)
	}
	fmt.Fprint(s.opts.Stdout, prompt)
	if s.stdinLines == nil {
		s.stdinLines = bufio.NewReader(s.opts.Stdin)
	}
	line, err := s.stdinLines.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	return strings.TrimRight(line, "\r\n"), err
}

const stepHelp = "n: next node, c: continue to a breakpoint or the end, p NAME: print a tensor or its grad, b OP: break before node OP, q: quit"

func cmdStep(ctx context.Context, s *Session, arg string) (Result, error) {
	t, err := s.tensorArg(ctx, "step", arg)
	if err != nil {
		return Result{}, err
	}
	var run *tl.BackwardRun
	if err := tl.Catch(func() { run = tl.NewBackwardRun(t, tl.BackwardOptions{}) }); err != nil {
		return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
	}
	names := s.paramNames()
	out := s.opts.Stdout
	breaks := map[string]bool{}
	steps := 0
	fmt.Fprintln(out, stepHelp)
	step := func() error {
		return tl.Catch(func() {
			n, gin, gouts := run.Step()
			if n == nil {
				return
			}
			steps++
			fmt.Fprintf(out, "[%d] %s", steps, n.Name())
			if v := n.Variable(); v != nil {
				fmt.Fprintf(out, " %s", leafName(v, names))
			}
			fmt.Fprintf(out, ": grad in %s\n", gradSummary(gin))
			for i, g := range gouts {
				if g != nil {
					fmt.Fprintf(out, "    grad out %d %s\n", i, gradSummary(g))
				}
			}
		})
	}
	for {
		next := run.Next()
		if next == nil {
			return textResult(fmt.Sprintf("backward done (%d nodes)", steps)), nil
		}
		if ctx.Err() != nil {
			return Result{}, &Error{Kind: Interrupted, Msg: "interrupted"}
		}
		line, err := s.readLine(fmt.Sprintf("step (next %s)> ", next.Name()))
		if err != nil {
			return textResult("stepping stopped; the backward pass is incomplete"), nil
		}
		cmd, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest = strings.TrimSpace(rest)
		switch cmd {
		case "", "n", "next":
			if err := step(); err != nil {
				return Result{}, &Error{Kind: PanicError, Msg: err.Error(), Value: err}
			}
		case "c", "continue":
			for {
				if err := step(); err != nil {
					return Result{}, &Error{Kind: PanicError, Msg: err.Error(), Value: err}
				}
				n := run.Next()
				if n == nil || breaks[n.Name()] {
					break
				}
			}
		case "b", "break":
			if rest == "" {
				fmt.Fprintln(out, "usage: b OP (e.g. b MulBackward0)")
				continue
			}
			breaks[rest] = true
			fmt.Fprintf(out, "breakpoint before %s\n", rest)
		case "p", "print":
			s.stepPrint(ctx, rest, names)
		case "q", "quit":
			return textResult(fmt.Sprintf("stopped after %d nodes; the backward pass is incomplete", steps)), nil
		default:
			fmt.Fprintln(out, stepHelp)
		}
	}
}

// stepPrint prints a parameter (by its graph name) with its gradient, or
// evaluates name as an expression.
func (s *Session) stepPrint(ctx context.Context, name string, names map[*tl.Tensor]string) {
	out := s.opts.Stdout
	for t, n := range names {
		if n == name {
			fmt.Fprintf(out, "%s = %s\n%s.grad = %s\n", n, t, n, t.Grad())
			return
		}
	}
	vals, err := s.Values(ctx, name)
	if err != nil {
		fmt.Fprintln(out, err)
		return
	}
	fmt.Fprintln(out, s.resultOf(vals).Text())
}

// gradSummary describes a gradient in one line.
func gradSummary(g *tl.Tensor) string {
	if g == nil {
		return "none"
	}
	if g.Numel() <= 6 {
		return strings.Join(strings.Fields(g.String()), " ")
	}
	return fmt.Sprintf("%s %s", shapeString(g.Shape()), g.DType())
}
