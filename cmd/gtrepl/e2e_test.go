package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
)

// The end-to-end tests drive the real binary: through a pseudo-terminal
// whose output feeds an emulated screen (we wait for text on the screen,
// not in the raw bytes), and through pipes.

const (
	screenCols = 120
	screenRows = 50
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gtreplBinary builds the command once per test run.
func gtreplBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// buildBinary builds the command once per run.
func buildBinary() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gtrepl-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gtrepl")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		return "", fmt.Errorf("go build: %v\n%s", buildErr, binPath)
	}
	return binPath, nil
}

// screen is a running gtrepl on an emulated terminal.
type screen struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	vt   vt10x.Terminal
	done chan struct{}
}

func startScreen(t *testing.T, env ...string) *screen {
	t.Helper()
	cmd := exec.Command(gtreplBinary(t))
	cmd.Env = append(os.Environ(), "TERM=xterm", "GT_IMAGES=none")
	cmd.Env = append(cmd.Env, env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: screenRows, Cols: screenCols})
	if err != nil {
		t.Fatal(err)
	}
	sc := &screen{t: t, cmd: cmd, pty: f, vt: vt10x.New(vt10x.WithWriter(f), vt10x.WithSize(screenCols, screenRows)), done: make(chan struct{})}
	go func() {
		defer close(sc.done)
		_, _ = io.Copy(sc.vt, f)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
	})
	sc.waitFor(">>> ")
	return sc
}

// text returns the screen's contents.
func (s *screen) text() string { return s.vt.String() } // String locks the state

// waitFor waits until the screen shows want.
func (s *screen) waitFor(want string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.text(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; it shows:\n%s", want, s.text())
}

// waitPrompt waits until the last non-empty line of the screen is a fresh
// prompt.
func (s *screen) waitPrompt() {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if lastLine(s.text()) == strings.TrimSpace(prompt) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("no prompt; the screen shows:\n%s", s.text())
}

func lastLine(text string) string {
	lines := strings.Split(strings.TrimRight(text, " \n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// typeLine types a line and presses Enter.
func (s *screen) typeLine(line string) {
	s.t.Helper()
	s.send(line + "\r")
}

func (s *screen) send(keys string) {
	s.t.Helper()
	if _, err := s.pty.Write([]byte(keys)); err != nil {
		s.t.Fatal(err)
	}
}

// exit presses Ctrl-D and waits for the process to end.
func (s *screen) exit() {
	s.t.Helper()
	s.send("\x04")
	errc := make(chan error, 1)
	go func() { errc <- s.cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			s.t.Fatalf("gtrepl exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		s.t.Fatal("Ctrl-D did not end gtrepl")
	}
}

func TestTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	hist := filepath.Join(t.TempDir(), "history")
	s := startScreen(t, "GTREPL_HISTORY="+hist)

	// An expression shows its value; an assignment shows nothing.
	s.typeLine("x := tl.Arange(3)")
	s.typeLine("x.MulScalar(2)")
	s.waitFor("tensor([0, 2, 4])")

	// Multi-line input continues while the block is open.
	s.typeLine("for i := 0; i < 2; i++ {")
	s.waitFor("... ")
	s.typeLine(`fmt.Println("row", i)`)
	s.typeLine("}")
	s.waitFor("row 1")

	// Tab completes a method of the value's type.
	s.send("x.MulSc\t")
	s.waitFor(">>> x.MulScalar")
	s.typeLine("(3)")
	s.waitFor("tensor([0, 3, 6])")

	// Ctrl-C while typing clears the line.
	s.send("this is not Go")
	s.waitFor("this is not Go")
	s.send("\x03")
	s.typeLine("40 + 2")
	s.waitFor("42")

	// Ctrl-C interrupts an endless loop; variables survive.
	s.typeLine("n := 0")
	s.typeLine("for { n++ }")
	time.Sleep(300 * time.Millisecond)
	s.send("\x03")
	s.waitFor("interrupted")
	s.typeLine("n > 0")
	s.waitFor("true")
	s.typeLine("x")
	s.waitFor("tensor([0, 1, 2])")

	// :vars lists variables with shapes and dtypes.
	s.typeLine(":vars")
	s.waitFor("x     *tl.Tensor  [3]    torch.int64")
	s.exit()
}

func TestTerminalHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	hist := filepath.Join(t.TempDir(), "history")
	s := startScreen(t, "GTREPL_HISTORY="+hist)
	s.typeLine("func add(a, b int) int {")
	s.typeLine("    return a + b // sum")
	s.typeLine("}")
	s.typeLine("add(2, 3)")
	s.waitFor("5")
	s.exit()
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"func add(a, b int) int {\n    return a + b // sum\n}"`) {
		t.Fatalf("the multi-line entry is not kept whole:\n%s", b)
	}

	// A second session recalls the function with the arrow keys.
	s = startScreen(t, "GTREPL_HISTORY="+hist)
	s.send("\x1b[A\x1b[A") // Up, Up: the function, as one line
	s.waitFor("func add(a, b int) int { return a + b; }")
	s.send("\r")
	s.waitPrompt()
	s.typeLine("add(40, 2)")
	s.waitFor("42")
	s.exit()
}

func TestTerminalWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	script, err := os.ReadFile("../../repl/testdata/walkthrough.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := startScreen(t, "GTREPL_HISTORY=")
	for _, line := range strings.Split(strings.TrimRight(string(script), "\n"), "\n") {
		s.typeLine(line)
		time.Sleep(5 * time.Millisecond)
	}
	s.waitFor("2.000962257385254 1.0418946743011475") // weight ≈ 2, bias ≈ 1
	s.waitFor("[-40.0546],")                          // y's first rows, pretty-printed
	s.waitFor("Epoch [100/100], Loss: 3.1226")
	s.exit()
}

// TestTerminalGraphAndStep shows a model's autograd graph with :graph and
// steps through its backward pass with :step's sub-prompt.
func TestTerminalGraphAndStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	s := startScreen(t, "GTREPL_HISTORY=")
	for _, line := range []string{
		"tl.ManualSeed(0)",
		"type Net struct{ Linear *nn.Linear }",
		"net := &Net{Linear: nn.NewLinear(2, 1)}",
		"loss := net.Linear.Forward(tl.Ones(4, 2)).Pow(2).Mean()",
		":graph loss",
	} {
		s.typeLine(line)
		s.waitPrompt()
	}
	s.waitFor("└─ PowBackward0 [4, 1]")
	s.waitFor("AccumulateGrad net.linear.weight [1, 2]")
	s.typeLine(":step loss")
	s.waitFor("step (next MeanBackward0)> ")
	s.typeLine("n")
	s.waitFor("step 1/6 MeanBackward0")
	s.typeLine("b net.linear.weight")
	s.waitFor("breakpoint after net.linear.weight")
	s.typeLine("c")
	s.waitFor("AccumulateGrad (net.linear.weight) [break: param")
	s.typeLine("p leaf.grad")
	s.waitFor("leaf.grad = tensor([[")
	s.typeLine("q")
	s.waitFor("the backward pass is incomplete")
	s.waitPrompt()
	s.exit()
}

// runPiped runs gtrepl with args and stdin, returning stdout, stderr and
// the exit status.
func runPiped(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gtreplBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "GTREPL_HISTORY=")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestPipedWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	script, err := os.ReadFile("../../repl/testdata/walkthrough.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../repl/testdata/seed_walkthrough.torch-1.13.out")
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := runPiped(t, string(script))
	if out != string(want) || code != 0 || errs != "" {
		t.Fatalf("piped walkthrough: status %d, stderr %q, output:\n%s\nwant:\n%s", code, errs, out, want)
	}
}

func TestNonInteractive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out, errs, code := runPiped(t, "", "-e", "tl.Ones(2).MulScalar(3)")
	if out != "tensor([3., 3.])\n" || code != 0 {
		t.Errorf("-e: %q %q %d", out, errs, code)
	}
	out, errs, code = runPiped(t, "", "-e", "undefinedThing")
	if code != 1 || !strings.Contains(errs, "1:1: undefined: undefinedThing") {
		t.Errorf("-e with an error: %q %q %d", out, errs, code)
	}
	// Errors do not stop piped input; the status reports them.
	out, errs, code = runPiped(t, "a := 1\nb := a.Nope()\na + 1\n")
	if out != "2\n" || code != 1 || !strings.Contains(errs, "1:8: undefined selector Nope") {
		t.Errorf("piped with an error: %q %q %d", out, errs, code)
	}
	file := filepath.Join(t.TempDir(), "prog.go")
	src := "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(tl.Eye(2))\n}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runPiped(t, "", file)
	if out != "tensor([[1., 0.],\n        [0., 1.]])\n" || code != 0 {
		t.Errorf("FILE.go: %q %q %d", out, errs, code)
	}
}
