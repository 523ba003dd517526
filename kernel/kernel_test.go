package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// One kernel serves the tests that do not need their own (a kernel starts
// in a few milliseconds, but the display bridge and the transports are
// per process anyway).
var (
	sharedOnce sync.Once
	sharedK    *Kernel
)

// sharedClient connects a new client to the shared kernel.
func sharedClient(t *testing.T) *client {
	t.Helper()
	sharedOnce.Do(func() {
		k, err := New(ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey}, Options{Log: testLog{t}})
		if err != nil {
			t.Fatal(err)
		}
		sharedK = k
		go k.Run(context.Background())
	})
	return connect(t, sharedK.Connection())
}

func TestStatePersistsAcrossCells(t *testing.T) {
	c := sharedClient(t)
	r1 := c.execute("persist := 41")
	if r1.status() != "ok" || len(r1.types()) != 0 {
		t.Fatalf("declaration: status %s, outputs %v", r1.status(), r1.types())
	}
	r2 := c.execute("persist + 1")
	if got := r2.text(); got != "42" {
		t.Fatalf("persist + 1 = %q, want 42", got)
	}
	n1, n2 := contentOf(r1.reply)["execution_count"], contentOf(r2.reply)["execution_count"]
	if n1.(float64)+1 != n2.(float64) {
		t.Errorf("execution counts %v then %v", n1, n2)
	}
	// A tensor is shown as text and HTML; a model keeps its parameters.
	r3 := c.execute("pt := tl.Arange(6).Reshape(2, 3)\npt.MulScalar(2)")
	d := r3.data("execute_result")
	if d["text/plain"] != "tensor([[ 0,  2,  4],\n        [ 6,  8, 10]])" {
		t.Errorf("tensor text %q", d["text/plain"])
	}
	if html, _ := d["text/html"].(string); !strings.Contains(html, "gt-tensor") {
		t.Errorf("tensor html %q", html)
	}
	c.execute("tl.ManualSeed(1)\nlin := nn.NewLinear(2, 1)\nw0 := lin.Weight.Detach().Clone()")
	c.execute("opt := optim.NewSGD(nn.Parameters(lin), 0.1)\nloss := lin.Forward(tl.Ones(1, 2)).Sum()\nloss.Backward()\nopt.Step()")
	if r := c.execute("lin.Weight.Sub(w0).Abs().Sum().Item() > 0"); r.text() != "true" {
		t.Errorf("the model did not keep its training: %q %s", r.text(), r.errorName())
	}
}

func TestStreamsAndErrors(t *testing.T) {
	c := sharedClient(t)
	// (The interpreter's os.Stderr is the process's: log writes to the
	// session's standard error.)
	r := c.execute(`fmt.Println("hello, world")` + "\n" + `log.SetFlags(0)` + "\n" + `log.Println("to stderr")`)
	if r.status() != "ok" || r.stream("stdout") != "hello, world\n" || r.stream("stderr") != "to stderr\n" {
		t.Errorf("status %s stdout %q stderr %q", r.status(), r.stream("stdout"), r.stream("stderr"))
	}
	for _, tc := range []struct{ code, ename string }{
		{"undefinedName + 1", "CompileError: undefined: undefinedName"},
		{"x := )", "SyntaxError"},
		{`panic("boom")`, "Panic: boom"},
		{"tl.Ones(2).Add(tl.Ones(3))", "Panic: "},
		{"%nosuchmagic", "CommandError: unknown magic %nosuchmagic"},
		{"!exit 3", "CommandError: !exit 3: exit status 3"},
	} {
		r := c.execute(tc.code)
		if r.status() != "error" || !strings.HasPrefix(r.errorName(), tc.ename) {
			t.Errorf("%q: status %s, error %q, want %q", tc.code, r.status(), r.errorName(), tc.ename)
		}
		if got := r.types(); len(got) != 1 || got[0] != "error" {
			t.Errorf("%q: outputs %v, want one error", tc.code, got)
		}
		rep := contentOf(r.reply)
		if rep["ename"] == "" || rep["traceback"] == nil {
			t.Errorf("%q: reply %v", tc.code, rep)
		}
	}
	// The session goes on after errors.
	if r := c.execute("1 + 1"); r.text() != "2" {
		t.Errorf("after errors: %q", r.text())
	}
}

func TestInterruptKeepsVariables(t *testing.T) {
	c := sharedClient(t)
	c.execute("kept := 7\nspins := 0")
	id := c.send(c.shell, "execute_request", map[string]any{"code": "for {\n\tspins++\n}", "silent": false, "store_history": true})
	if c.waitIOPub(func(m *message) bool { return parentID(m) == id && m.header.MsgType == "execute_input" }, 5*time.Second) == nil {
		t.Fatal("the loop did not start")
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	iid := c.send(c.control, "interrupt_request", map[string]any{})
	if c.reply(iid, c.controlCh, 5*time.Second) == nil {
		t.Fatal("no interrupt_reply")
	}
	rep := c.reply(id, c.shellCh, 10*time.Second)
	if rep == nil {
		t.Fatal("the loop was not interrupted")
	}
	t.Logf("interrupted in %v", time.Since(start))
	if contentString(rep, "status") != "error" || contentString(rep, "ename") != "Interrupted" {
		t.Errorf("reply %s", rep.content)
	}
	c.outputs(id, 5*time.Second)
	if r := c.execute("kept"); r.text() != "7" {
		t.Errorf("kept = %q after the interrupt", r.text())
	}
	if r := c.execute("spins > 0"); r.text() != "true" {
		t.Errorf("spins > 0 = %q", r.text())
	}
	// A long tensorlib kernel stops too.
	c.execute("big := tl.Randn(1500, 1500)")
	id = c.send(c.shell, "execute_request", map[string]any{"code": "for i := 0; i < 1000; i++ {\n\tbig.MatMul(big)\n}", "silent": false, "store_history": true})
	c.waitIOPub(func(m *message) bool { return parentID(m) == id && m.header.MsgType == "execute_input" }, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	c.send(c.control, "interrupt_request", map[string]any{})
	if rep := c.reply(id, c.shellCh, 20*time.Second); rep == nil || contentString(rep, "ename") != "Interrupted" {
		t.Fatalf("matmul loop: %v", rep)
	}
	c.outputs(id, 5*time.Second)
	if r := c.execute("big.Shape()"); r.text() != "[1500 1500]" {
		t.Errorf("big.Shape() = %q", r.text())
	}
}

func TestRejectsUnsignedAndForgedMessages(t *testing.T) {
	c := sharedClient(t)
	c.execute("counter := 0")
	exec := func(code string) map[string]any {
		return map[string]any{"code": code, "silent": false, "store_history": true}
	}
	// A wrong signature, no signature, a signature by another key.
	id, frames := c.frames("execute_request", exec("counter = 100"))
	frames[1] = []byte(strings.Repeat("0", 64))
	c.sendFrames(c.shell, frames)
	_, frames = c.frames("execute_request", exec("counter = 200"))
	frames[1] = []byte{}
	c.sendFrames(c.shell, frames)
	other := &client{tb: t, sg: newSigner("another key"), session: c.session}
	_, frames = other.frames("execute_request", exec("counter = 300"))
	c.sendFrames(c.shell, frames)
	// A message altered after signing.
	_, frames = c.frames("execute_request", exec("counter = 400"))
	frames[5] = []byte(`{"code": "counter = 500", "silent": false}`)
	c.sendFrames(c.shell, frames)
	// A valid message, sent twice: the replay is refused.
	_, frames = c.frames("execute_request", exec("counter++"))
	c.sendFrames(c.shell, frames)
	c.sendFrames(c.shell, frames)
	if rep := c.reply(id, c.shellCh, 300*time.Millisecond); rep != nil {
		t.Fatal("a forged request was answered")
	}
	if r := c.execute("counter"); r.text() != "1" {
		t.Errorf("counter = %q, want 1 (only the valid message ran, once)", r.text())
	}
}

func TestMalformedMessagesDoNotStopTheKernel(t *testing.T) {
	defer handshakeTimeout.Store(handshakeTimeout.Load())
	handshakeTimeout.Store(int64(200 * time.Millisecond))
	k, _ := startKernel(t, Options{MaxMessageSize: 1 << 20})
	c := connect(t, k.Connection())
	signed := func(parts ...string) [][]byte {
		b := make([][]byte, len(parts))
		for i, p := range parts {
			b[i] = []byte(p)
		}
		return append([][]byte{[]byte(delimiter), c.sg.sign(b...)}, b...)
	}
	header := func(msgType string) string {
		h, _ := json.Marshal(Header{MsgID: newID(), Session: c.session, MsgType: msgType, Version: ProtocolVersion})
		return string(h)
	}
	cases := func() [][][]byte {
		return [][][]byte{
			{[]byte("no delimiter")},
			{[]byte(delimiter)},
			{[]byte(delimiter), []byte("sig"), []byte("{}")},
			signed("not json", "{}", "{}", "{}"),
			signed(`{"msg_id": "x"}`, "{}", "{}", "{}"), // no msg_type
			signed(header("execute_request"), "{}", "{}", `"a string"`),
			signed(header("execute_request"), "{}", "{}", `{"code": 12}`),
			signed(header("execute_request"), "[]", "{}", `{"code": "1"}`),
			signed(header("kernel_info_request"), "{}", "{}", `{}`)[:5], // cut short
			signed(header("complete_request"), "{}", "{}", `{"code": "tl.", "cursor_pos": 99}`),
			signed(header("inspect_request"), "{}", "{}", `{"code": "", "cursor_pos": -5}`),
			signed(header("is_complete_request"), "{}", "{}", `{"code": null}`),
			signed(header("history_request"), "{}", "{}", `{"hist_access_type": "search", "pattern": "[", "n": -1}`),
			signed(header("history_request"), "{}", "{}", `{"hist_access_type": "range", "start": -5, "stop": 1e9}`),
			signed(header("no_such_request"), "{}", "{}", `{}`),
		}
	}
	for _, f := range cases() {
		c.sendFrames(c.shell, f)
	}
	for _, f := range cases() {
		c.sendFrames(c.control, f)
	}
	// Too many identities before the delimiter.
	many := make([][]byte, 100)
	for i := range many {
		many[i] = []byte("id")
	}
	c.sendFrames(c.shell, append(many, signed(header("kernel_info_request"), "{}", "{}", "{}")...))

	if r := c.execute("1 + 2"); r.text() != "3" {
		t.Fatalf("after malformed messages: %q", r.text())
	}

	// A frame over the limit closes that connection (and allocates
	// nothing); raw garbage and silent connections are cut too.
	big := [][]byte{[]byte(delimiter), make([]byte, 2<<20)}
	bigClient := connect(t, k.Connection())
	_ = bigClient.shell.Send(zmq4.NewMsgFrom(big...))
	for _, junk := range [][]byte{[]byte("GET / HTTP/1.0\r\n\r\n"), append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0}, make([]byte, 52)...)} {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", k.Connection().ShellPort))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write(junk)
		// A huge declared frame after a valid greeting.
		_, _ = conn.Write([]byte{0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		time.Sleep(50 * time.Millisecond)
		conn.Close()
	}
	silent, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", k.Connection().ShellPort))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	c2 := connect(t, k.Connection())
	if r := c2.execute("1 + 3"); r.text() != "4" {
		t.Fatalf("after oversized frames: %q", r.text())
	}
}

func TestLimitConnRejectsOversizedFrames(t *testing.T) {
	lim := limits{maxFrame: 100, maxMsg: 150, maxFrames: 3}
	greeting := make([]byte, zmtpGreeting)
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"small frames", append(append([]byte{}, greeting...), 0x04, 2, 'h', 'i', 0x01, 3, 'a', 'b', 'c', 0x00, 0), true},
		{"long header, small", append(append([]byte{}, greeting...), 0x02, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5), true},
		{"huge frame", append(append([]byte{}, greeting...), 0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), false},
		{"frame over the limit", append(append([]byte{}, greeting...), 0x00, 101), false},
		{"message over the limit", append(append(append(append([]byte{}, greeting...), 0x01, 100), make([]byte, 100)...), 0x00, 60), false},
		{"too many frames", append(append([]byte{}, greeting...), 1, 0, 1, 0, 1, 0, 0, 0), false},
		{"bad flags", append(append([]byte{}, greeting...), 0xf0, 0), false},
	} {
		// Feed the bytes in pieces of every size: the framing must not
		// depend on how reads cut the stream.
		for step := 1; step <= len(tc.data); step += 7 {
			c := &limitConn{lim: lim, greet: zmtpGreeting}
			var err error
			for i := 0; i < len(tc.data) && err == nil; i += step {
				err = c.scan(tc.data[i:min(i+step, len(tc.data))])
			}
			if (err == nil) != tc.ok {
				t.Errorf("%s (reads of %d): err %v", tc.name, step, err)
			}
		}
	}
}

func TestDisplayData(t *testing.T) {
	c := sharedClient(t)
	r := c.execute("fmt.Println(\"before\")\nviz.Display(tl.Ones(2))\nfmt.Println(\"after\")")
	if got := strings.Join(r.types(), ","); got != "stream,display_data,stream" {
		t.Errorf("outputs %s, want stream, display_data, stream in order", got)
	}
	if html, _ := r.data("display_data")["text/html"].(string); !strings.Contains(html, "gt-tensor") {
		t.Errorf("display html %q", html)
	}
	// A figure: PNG. A value shown by its last expression: execute_result.
	r = c.execute("viz.Display(viz.LinePlot([]float64{1, 3, 2}, viz.PlotOptions{Title: \"t\"}))")
	if png, _ := r.data("display_data")["image/png"].(string); !strings.HasPrefix(png, "iVBORw0KGgo") {
		t.Errorf("figure png %.20q", png)
	}
	r = c.execute("viz.LinePlot([]float64{1, 3, 2})")
	if _, ok := r.data("execute_result")["image/png"]; !ok {
		t.Errorf("figure result %v", r.types())
	}
	// A live loss updates its display in place.
	r = c.execute("lv := viz.NewLiveLoss(3)\nlv.Every = time.Nanosecond\nfor i := 0; i < 3; i++ {\n\tlv.Add(float64(3 - i))\n}\nlv.Done()")
	var ids []string
	for _, m := range r.outputs {
		if m.header.MsgType == "display_data" || m.header.MsgType == "update_display_data" {
			tr, _ := contentOf(m)["transient"].(map[string]any)
			id, _ := tr["display_id"].(string)
			ids = append(ids, m.header.MsgType+":"+id)
		}
	}
	if len(ids) < 2 || !strings.HasPrefix(ids[0], "display_data:gt-live-") || !strings.HasPrefix(ids[len(ids)-1], "update_display_data:"+strings.TrimPrefix(ids[0], "display_data:")) {
		t.Errorf("live loss messages %v", ids)
	}
	// %clear
	r = c.execute("fmt.Println(1)\n%clear\nfmt.Println(2)")
	if got := strings.Join(r.types(), ","); got != "stream,clear_output,stream" {
		t.Errorf("%%clear outputs %s", got)
	}
}

func TestMagicsAndGoNBCells(t *testing.T) {
	c := sharedClient(t)
	c.execute("magicVar := tl.Zeros(2, 3)")
	if r := c.execute("%vars"); !strings.Contains(r.text(), "magicVar") || !strings.Contains(r.text(), "[2, 3]") {
		t.Errorf("%%vars: %q", r.text())
	}
	if r := c.execute(":vars"); !strings.Contains(r.text(), "magicVar") {
		t.Errorf(":vars: %q", r.text())
	}
	if r := c.execute("%time timed := 1 + 1"); !strings.HasPrefix(r.stream("stdout"), "time: ") {
		t.Errorf("%%time: %q %s", r.stream("stdout"), r.errorName())
	}
	if r := c.execute("%%time\nslept := 1\ntime.Sleep(time.Millisecond)\nslept"); !strings.HasPrefix(r.stream("stdout"), "time: ") || r.text() != "1" {
		t.Errorf("%%%%time: %q %q %s", r.stream("stdout"), r.text(), r.errorName())
	}
	if r := c.execute("!echo from the shell\n!echo two \\\n  lines"); r.stream("stdout") != "from the shell\ntwo lines\n" {
		t.Errorf("shell: %q %s", r.stream("stdout"), r.errorName())
	}
	// A GoNB cell: imports (known ones are dropped), declarations, %%,
	// statements; a function main runs.
	gonb := "import (\n\t\"fmt\"\n\t\"strings\"\n\n\ttl \"github.com/gotensor/gt/tensorlib\"\n)\n\n" +
		"func gonbTwice(s string) string { return strings.Repeat(s, 2) }\n\n%%\nfmt.Println(gonbTwice(\"ab\"), tl.Ones(1))\n"
	if r := c.execute(gonb); r.stream("stdout") != "abab tensor([1.])\n" || r.status() != "ok" {
		t.Errorf("GoNB cell: %q %s", r.stream("stdout"), r.errorName())
	}
	if r := c.execute("func main() {\n\tfmt.Println(\"main ran\")\n}"); r.stream("stdout") != "main ran\n" {
		t.Errorf("main: %q %s", r.stream("stdout"), r.errorName())
	}
	// Standard packages are imported when used, as goimports does in GoNB.
	if r := c.execute("strconv.Itoa(12) + path.Base(\"/a/b\")"); r.text() != `"12b"` {
		t.Errorf("auto-import: %q %s", r.text(), r.errorName())
	}
	// A graph and the steps of a backward pass.
	c.execute("gw := tl.FromFloat32s([]float32{1, 2}, 2).SetRequiresGrad(true)\ngl := gw.Mul(gw).Sum()")
	if r := c.execute("%graph gl"); !strings.Contains(r.text(), "SumBackward0") || r.data("execute_result")["text/html"] == nil {
		t.Errorf("%%graph: %q %s", r.text(), r.errorName())
	}
	if r := c.execute("%plot []float64{1, 4, 9}"); r.data("execute_result")["image/png"] == nil {
		t.Errorf("%%plot: %v %s", r.types(), r.errorName())
	}
	file := filepath.Join(t.TempDir(), "loaded.go")
	if err := os.WriteFile(file, []byte("package main\n\nimport \"fmt\"\n\nvar loadedVar = 5\n\nfunc main() { fmt.Println(\"loaded\", loadedVar) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := c.execute("%load " + file); r.stream("stdout") != "loaded 5\n" {
		t.Errorf("%%load: %q %s", r.stream("stdout"), r.errorName())
	}
	r := c.execute("%step gl")
	steps := 0
	for _, m := range r.outputs {
		if m.header.MsgType == "display_data" {
			var d struct {
				Data map[string]string `json:"data"`
			}
			_ = json.Unmarshal(m.content, &d)
			if !strings.Contains(d.Data["text/html"], "gt-debug-step") {
				t.Errorf("step html %.80q", d.Data["text/html"])
			}
			steps++
		}
	}
	if steps < 3 || !strings.Contains(r.text(), "backward pass finished") {
		t.Errorf("%%step: %d steps, %q %s", steps, r.text(), r.errorName())
	}
	if r := c.execute("gw.Grad()"); r.text() != "tensor([2., 4.])" {
		t.Errorf("after %%step, gw.Grad() = %q", r.text())
	}
	if r := c.execute("%reset"); r.status() != "ok" {
		t.Errorf("%%reset: %s", r.errorName())
	}
	if r := c.execute("magicVar"); r.status() != "error" {
		t.Errorf("magicVar survived %%reset")
	}
	if r := c.execute("%help"); !strings.Contains(r.text(), "%step") {
		t.Errorf("%%help: %q", r.text())
	}
}

func TestCompleteInspectIsComplete(t *testing.T) {
	c := sharedClient(t)
	c.execute("completeMe := tl.Ones(2)")
	for _, tc := range []struct {
		code        string
		pos         int
		want        []string
		start, stop int
	}{
		{"tl.Zer", 6, []string{"Zeros", "ZerosLike"}, 3, 6},
		{"x := completeM", 14, []string{"completeMe"}, 5, 14},
		{"completeMe.Resh", 15, []string{"Reshape"}, 11, 15},
		{"%va", 3, []string{"vars"}, 1, 3},
		{"é := tl.Zer", 11, []string{"Zeros", "ZerosLike"}, 8, 11}, // code points, not bytes
	} {
		rep := c.request("complete_request", map[string]any{"code": tc.code, "cursor_pos": tc.pos})
		var got struct {
			Matches     []string `json:"matches"`
			CursorStart int      `json:"cursor_start"`
			CursorEnd   int      `json:"cursor_end"`
			Status      string   `json:"status"`
		}
		_ = json.Unmarshal(rep.content, &got)
		if !reflect.DeepEqual(got.Matches, tc.want) || got.CursorStart != tc.start || got.CursorEnd != tc.stop || got.Status != "ok" {
			t.Errorf("complete %q: %+v", tc.code, got)
		}
	}
	for _, tc := range []struct {
		code  string
		pos   int
		found bool
		has   string
	}{
		{"tl.Zeros", 8, true, "func Zeros"},
		{"tl.Zeros(2, ", 12, true, "func Zeros"},
		{"x := completeMe.Add(y)", 17, true, "Add"},
		{"nosuchname", 4, false, ""},
	} {
		rep := contentOf(c.request("inspect_request", map[string]any{"code": tc.code, "cursor_pos": tc.pos, "detail_level": 0}))
		data, _ := rep["data"].(map[string]any)
		text, _ := data["text/plain"].(string)
		if rep["found"] != tc.found || !strings.Contains(text, tc.has) {
			t.Errorf("inspect %q: found %v, %.60q", tc.code, rep["found"], text)
		}
	}
	for _, tc := range []struct{ code, status, indent string }{
		{"x := 1", "complete", ""},
		{"func f() {", "incomplete", "\t"},
		{"m := map[string][]int{\n\t\"a\": {1,", "incomplete", "\t\t"},
		{"x := 1 +", "incomplete", ""},
		{"x := )", "invalid", ""},
		{"for {}}", "invalid", ""},
		{"%vars", "complete", ""},
		{"!ls", "complete", ""},
		{"import \"strings\"\n%%\nfmt.Println(strings.ToUpper(\"a\"))", "complete", ""},
	} {
		rep := contentOf(c.request("is_complete_request", map[string]any{"code": tc.code}))
		indent, _ := rep["indent"].(string)
		if rep["status"] != tc.status || indent != tc.indent {
			t.Errorf("is_complete %q: %v", tc.code, rep)
		}
	}
}

func TestHistory(t *testing.T) {
	k, _ := startKernel(t, Options{})
	c := connect(t, k.Connection())
	for _, code := range []string{"hx := 1", "hx + 1", "hx + 1", "hy := 2"} {
		c.execute(code)
	}
	c.execute("hx + 100", map[string]any{"store_history": false})
	get := func(content map[string]any) [][]any {
		t.Helper()
		rep := c.request("history_request", content)
		var got struct {
			History [][]any `json:"history"`
		}
		_ = json.Unmarshal(rep.content, &got)
		return got.History
	}
	if h := get(map[string]any{"hist_access_type": "tail", "n": 2, "output": false, "raw": true}); fmt.Sprint(h) != "[[1 3 hx + 1] [1 4 hy := 2]]" {
		t.Errorf("tail: %v", h)
	}
	if h := get(map[string]any{"hist_access_type": "tail", "n": 1, "output": true, "raw": true}); fmt.Sprint(h) != "[[1 4 [hy := 2 ]]]" {
		t.Errorf("tail with output: %v", h)
	}
	if h := get(map[string]any{"hist_access_type": "range", "session": 0, "start": 2, "stop": 3, "output": true, "raw": true}); fmt.Sprint(h) != "[[1 2 [hx + 1 2]]]" {
		t.Errorf("range: %v", h)
	}
	if h := get(map[string]any{"hist_access_type": "search", "pattern": "hx*", "output": false, "raw": true}); len(h) != 3 {
		t.Errorf("search: %v", h)
	}
	if h := get(map[string]any{"hist_access_type": "search", "pattern": "hx + ?", "unique": true, "output": false, "raw": true}); fmt.Sprint(h) != "[[1 3 hx + 1]]" {
		t.Errorf("search unique: %v", h)
	}
}

func TestInputRequest(t *testing.T) {
	c := sharedClient(t)
	id := c.send(c.shell, "execute_request", map[string]any{"code": "var answer string\nfmt.Scanln(&answer)\nanswer",
		"silent": false, "store_history": true, "allow_stdin": true})
	var req *message
	select {
	case req = <-c.stdinCh:
	case <-time.After(10 * time.Second):
		t.Fatal("no input_request")
	}
	if req.header.MsgType != "input_request" || parentID(req) != id {
		t.Fatalf("got %s for %s", req.header.MsgType, parentID(req))
	}
	_, frames := c.frames("input_reply", map[string]any{"value": "forty-two"})
	c.sendFrames(c.stdin, frames)
	rep := c.reply(id, c.shellCh, 10*time.Second)
	if rep == nil {
		t.Fatal("no execute_reply")
	}
	r := result{reply: rep, outputs: c.outputs(id, 5*time.Second)}
	if r.text() != `"forty-two"` {
		t.Errorf("answer = %q %s", r.text(), r.errorName())
	}
	// Without allow_stdin, reading sees the end of input.
	if r := c.execute("var n int\n_, err := fmt.Scanln(&n)\nerr != nil"); r.text() != "true" {
		t.Errorf("without stdin: %q %s", r.text(), r.errorName())
	}
}

func TestShutdownWithRestart(t *testing.T) {
	k, done := startKernel(t, Options{})
	c := connect(t, k.Connection())
	c.execute("gone := 1")
	id := c.send(c.control, "shutdown_request", map[string]any{"restart": true})
	rep := c.reply(id, c.controlCh, 5*time.Second)
	if rep == nil || contentOf(rep)["restart"] != true {
		t.Fatalf("shutdown_reply %v", rep)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the kernel did not stop")
	}
	if !k.restart {
		t.Error("restart not reported")
	}
	if len(k.Session().Vars()) != 0 {
		t.Error("the session was not reset")
	}
}

func TestKernelInfoAndCommInfo(t *testing.T) {
	c := sharedClient(t)
	info := contentOf(c.request("kernel_info_request", map[string]any{}))
	li, _ := info["language_info"].(map[string]any)
	if info["protocol_version"] != ProtocolVersion || info["implementation"] != "gt" || li["name"] != "go" || li["file_extension"] != ".go" {
		t.Errorf("kernel_info %v", info)
	}
	ci := contentOf(c.request("comm_info_request", map[string]any{}))
	if ci["status"] != "ok" || fmt.Sprint(ci["comms"]) != "map[]" {
		t.Errorf("comm_info %v", ci)
	}
	id := c.send(c.control, "kernel_info_request", map[string]any{})
	if c.reply(id, c.controlCh, 5*time.Second) == nil {
		t.Error("no kernel_info_reply on control")
	}
	// The heartbeat echoes.
	hb := zmq4.NewReq(context.Background(), zmq4.WithLogger(discardLogger))
	defer hb.Close()
	if err := hb.Dial(fmt.Sprintf("tcp://127.0.0.1:%d", sharedK.Connection().HBPort)); err != nil {
		t.Fatal(err)
	}
	if err := hb.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	if m, err := hb.Recv(); err != nil || string(m.Bytes()) != "ping" {
		t.Errorf("heartbeat: %q %v", m.Bytes(), err)
	}
}
