package kernel

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The cell timed by the benchmarks, in GoNB's form (it runs unchanged in
// both kernels): a small tensor computation and a print.
const (
	benchSetup = "import tl \"github.com/gotensor/gt/tensorlib\""
	benchCell  = "%%\na := tl.Ones(3, 3)\nfmt.Println(a.Sum().Item())"
)

// runBenchCells times benchCell round trips: execute_request sent until
// its execute_reply and its idle status have arrived.
func runBenchCells(b *testing.B, c *client) {
	for i := 0; i < 2; i++ { // warm: GoNB builds its first program
		if r := c.execute(benchCell); r.stream("stdout") != "9\n" {
			b.Fatalf("cell printed %q (%s)", r.stream("stdout"), r.errorName())
		}
	}
	c.forget()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := c.execute(benchCell); r.status() != "ok" {
			b.Fatal(r.errorName())
		}
		c.forget()
	}
}

// BenchmarkCellRoundTrip times the cell through ZeroMQ to an in-process
// gt kernel.
func BenchmarkCellRoundTrip(b *testing.B) {
	k, _ := startKernel(b, Options{Log: testLog{b}})
	c := connect(b, k.Connection())
	c.execute(benchSetup)
	runBenchCells(b, c)
}

// BenchmarkCellRoundTripGoNB times the same cell under GoNB: the kernel
// built into bin/ and registered in bin/jupyter by make notebooks-test
// (skipped when it is missing). Each cell is a go build and a new process:
// run it with -benchtime=5x.
func BenchmarkCellRoundTripGoNB(b *testing.B) {
	root, _ := filepath.Abs("..")
	specPath := filepath.Join(root, "bin", "jupyter", "kernels", "gonb", "kernel.json")
	raw, err := os.ReadFile(specPath)
	if err != nil {
		b.Skipf("GoNB is not installed (%v): run make notebooks-test", err)
	}
	var spec KernelSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		b.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("go is not on PATH")
	}
	conn := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey, SignatureScheme: "hmac-sha256"}
	for _, p := range []*int{&conn.ShellPort, &conn.ControlPort, &conn.StdinPort, &conn.IOPubPort, &conn.HBPort} {
		*p = freePort(b)
	}
	dir := b.TempDir()
	connFile := filepath.Join(dir, "kernel-bench.json")
	cj, _ := json.Marshal(conn)
	if err := os.WriteFile(connFile, cj, 0o600); err != nil {
		b.Fatal(err)
	}
	argv := make([]string, len(spec.Argv))
	for i, a := range spec.Argv {
		argv[i] = strings.ReplaceAll(a, "{connection_file}", connFile)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+filepath.Dir(goBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c := connect(b, conn)
	if r := c.execute(benchSetup); r.status() != "ok" {
		b.Fatalf("GoNB import cell: %s", r.errorName())
	}
	runBenchCells(b, c)
	b.StopTimer()
	id := c.send(c.control, "shutdown_request", map[string]any{"restart": false})
	c.reply(id, c.controlCh, 5*time.Second)
}

// freePort returns a TCP port free at the time of the call.
func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	var port int
	fmt.Sscanf(portOf(l.Addr().String()), "%d", &port)
	return port
}
