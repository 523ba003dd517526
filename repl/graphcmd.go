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
	"github.com/gotensor/gt/viz"
)

// The autograd views: :graph shows the graph behind a tensor (viz's text
// tree, plus a drawing where the terminal shows images); :step drives a
// tl.Debugger from a small sub-prompt. Notebook front ends render the same
// values (viz.GraphView, viz.DebugView) as SVG and HTML.

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
// backward nodes with their output shapes (viz.GraphTree); leaves show the
// parameter's name when names knows it, and a node reached twice is printed
// once and referenced afterwards.
func GraphText(t *tl.Tensor, names map[*tl.Tensor]string) string {
	if t.GradFn() == nil && !t.RequiresGrad() {
		return "no autograd graph (the tensor does not require grad)"
	}
	return strings.TrimRight(viz.TensorGraphTree(t, viz.GraphOptions{Names: names}), "\n")
}

// cmdGraph shows the graph as a viz.GraphView: the text tree, and an SVG
// drawing in front ends that show images.
func cmdGraph(ctx context.Context, s *Session, arg string) (Result, error) {
	t, err := s.tensorArg(ctx, "graph", arg)
	if err != nil {
		return Result{}, err
	}
	if t.GradFn() == nil && !t.RequiresGrad() {
		return textResult(GraphText(t, nil)), nil
	}
	view := viz.NewGraphView(t, viz.GraphOptions{Names: s.paramNames()})
	return Result{Values: []any{view}, Bundle: view.MIMEBundle()}, nil
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

const stepHelp = "n: next node, c: continue to a breakpoint or the end, p NAME: print a tensor of the step (grad_output, grad_input[0], saved[0], leaf.grad…) or an expression, b OP: break after node OP (or a parameter's name), q: quit"

// cmdStep steps through the backward pass of a scalar with a tl.Debugger.
func cmdStep(ctx context.Context, s *Session, arg string) (Result, error) {
	t, err := s.tensorArg(ctx, "step", arg)
	if err != nil {
		return Result{}, err
	}
	var d *tl.Debugger
	if err := tl.Catch(func() { d = tl.DebugBackward(t) }); err != nil {
		return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
	}
	names := s.paramNames()
	opts := viz.GraphOptions{Names: names}
	out := s.opts.Stdout
	fmt.Fprintln(out, stepHelp)
	show := func(st *tl.DebugStep) {
		if st != nil {
			fmt.Fprint(out, viz.DebugStepText(st, opts))
		}
	}
	for {
		next := d.Next()
		if next == nil {
			return textResult(fmt.Sprintf("backward pass finished (%d nodes); the gradients are those Backward() gives", len(d.Steps()))), nil
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
		var stepErr error
		switch cmd {
		case "", "n", "next":
			stepErr = tl.Catch(func() { show(d.Step()) })
		case "c", "continue":
			stepErr = tl.Catch(func() { show(d.Continue()) })
		case "b", "break":
			if rest == "" {
				fmt.Fprintln(out, "usage: b OP (e.g. b MulBackward0) or b PARAM (e.g. b model.linear.weight)")
				continue
			}
			if e := tl.Catch(func() { s.setBreakpoint(d, rest, names) }); e != nil {
				fmt.Fprintln(out, e)
				continue
			}
			fmt.Fprintf(out, "breakpoint after %s\n", rest)
		case "p", "print":
			s.stepPrint(ctx, d, rest, names)
		case "q", "quit":
			return textResult(fmt.Sprintf("stopped after %d nodes; the backward pass is incomplete", len(d.Steps()))), nil
		default:
			fmt.Fprintln(out, stepHelp)
		}
		if stepErr != nil {
			return Result{}, &Error{Kind: PanicError, Msg: stepErr.Error(), Value: stepErr}
		}
	}
}

// setBreakpoint breaks on the parameter called name, else on the op name.
func (s *Session) setBreakpoint(d *tl.Debugger, name string, names map[*tl.Tensor]string) {
	for t, n := range names {
		if n == name {
			d.BreakOnParam(t)
			return
		}
	}
	if name == "nonfinite" || name == "nan" {
		d.BreakOnNonFinite()
		return
	}
	d.BreakOnOp(name)
}

// stepPrint prints a tensor of the current step (grad_output,
// grad_input[i], saved[i], leaf, leaf.grad), a parameter (by its graph name)
// with its gradient, or evaluates name as an expression.
func (s *Session) stepPrint(ctx context.Context, d *tl.Debugger, name string, names map[*tl.Tensor]string) {
	out := s.opts.Stdout
	if st := d.Current(); st != nil {
		if t := st.Tensor(name); t != nil {
			fmt.Fprintf(out, "%s = %s\n", name, t)
			return
		}
	}
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
