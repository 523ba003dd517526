package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// A minimal Jupyter client for the tests and benchmarks: DEALER sockets
// for shell, control and stdin (one identity, as jupyter_client uses), a
// SUB socket for iopub.

const testKey = "test-key-0123456789"

type client struct {
	tb      testing.TB
	conn    ConnectionInfo
	sg      *signer
	session string
	id      zmq4.SocketIdentity

	shell, control, stdin, iopub zmq4.Socket
	shellCh, controlCh, stdinCh  chan *message

	mu        sync.Mutex
	iopubMsgs []*message
	iopubCond *sync.Cond
	closed    bool
}

// startKernel runs an in-process kernel on free ports.
func startKernel(tb testing.TB, opts Options) (*Kernel, <-chan error) {
	tb.Helper()
	if opts.Log == nil {
		opts.Log = testLog{tb}
	}
	k, err := New(ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := k.Run(context.Background())
		done <- err
		close(done)
	}()
	tb.Cleanup(func() {
		k.stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			tb.Error("kernel did not stop")
		}
	})
	return k, done
}

// testLog sends the kernel's log to the test log.
type testLog struct{ tb testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // a log after the test ended
	l.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// connect dials a kernel and waits until iopub is subscribed.
func connect(tb testing.TB, conn ConnectionInfo) *client {
	tb.Helper()
	c := &client{tb: tb, conn: conn, sg: newSigner(conn.Key), session: newID(),
		shellCh: make(chan *message, 16), controlCh: make(chan *message, 16), stdinCh: make(chan *message, 16)}
	c.id = zmq4.SocketIdentity("client-" + c.session[:8])
	c.iopubCond = sync.NewCond(&c.mu)
	ctx := context.Background()
	dial := func(s zmq4.Socket, port int) zmq4.Socket {
		if err := s.Dial(fmt.Sprintf("tcp://%s:%d", conn.IP, port)); err != nil {
			tb.Fatal(err)
		}
		return s
	}
	c.shell = dial(zmq4.NewDealer(ctx, zmq4.WithID(c.id), zmq4.WithLogger(discardLogger)), conn.ShellPort)
	c.control = dial(zmq4.NewDealer(ctx, zmq4.WithID(c.id), zmq4.WithLogger(discardLogger)), conn.ControlPort)
	c.stdin = dial(zmq4.NewDealer(ctx, zmq4.WithID(c.id), zmq4.WithLogger(discardLogger)), conn.StdinPort)
	c.iopub = zmq4.NewSub(ctx, zmq4.WithLogger(discardLogger))
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		tb.Fatal(err)
	}
	dial(c.iopub, conn.IOPubPort)
	for _, r := range []struct {
		s  zmq4.Socket
		ch chan *message
	}{{c.shell, c.shellCh}, {c.control, c.controlCh}, {c.stdin, c.stdinCh}} {
		go c.read(r.s, r.ch)
	}
	go c.readIOPub()
	tb.Cleanup(c.close)
	// Wait for iopub: kernel_info requests until a status arrives.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		id := c.send(c.shell, "kernel_info_request", map[string]any{})
		if c.reply(id, c.shellCh, 5*time.Second) == nil {
			tb.Fatal("no kernel_info_reply")
		}
		if c.waitIOPub(func(m *message) bool { return parentID(m) == id && m.header.MsgType == "status" }, 300*time.Millisecond) != nil {
			return c
		}
	}
	tb.Fatal("iopub never delivered a message")
	return nil
}

func (c *client) close() {
	c.mu.Lock()
	c.closed = true
	c.iopubCond.Broadcast()
	c.mu.Unlock()
	for _, s := range []zmq4.Socket{c.shell, c.control, c.stdin, c.iopub} {
		_ = s.Close()
	}
}

func (c *client) read(s zmq4.Socket, ch chan *message) {
	for {
		zm, err := s.Recv()
		if err != nil {
			return
		}
		m, err := decode(zm.Frames, c.sg)
		if err != nil {
			c.tb.Logf("client: bad message from the kernel: %v", err)
			continue
		}
		select {
		case ch <- m:
		default:
			c.tb.Logf("client: dropped a %s", m.header.MsgType)
		}
	}
}

func (c *client) readIOPub() {
	for {
		zm, err := c.iopub.Recv()
		if err != nil {
			return
		}
		m, err := decode(zm.Frames, c.sg)
		if err != nil {
			c.tb.Logf("client: bad iopub message: %v", err)
			continue
		}
		c.mu.Lock()
		c.iopubMsgs = append(c.iopubMsgs, m)
		c.iopubCond.Broadcast()
		c.mu.Unlock()
	}
}

// frames builds a signed request.
func (c *client) frames(msgType string, content any) (string, [][]byte) {
	h := Header{MsgID: newID(), Session: c.session, Username: "test", Date: now(), MsgType: msgType, Version: ProtocolVersion}
	frames, err := encode(c.sg, nil, h, nil, nil, content)
	if err != nil {
		c.tb.Fatal(err)
	}
	return h.MsgID, frames
}

// send sends a request and returns its msg_id.
func (c *client) send(s zmq4.Socket, msgType string, content any) string {
	id, frames := c.frames(msgType, content)
	c.sendFrames(s, frames)
	return id
}

func (c *client) sendFrames(s zmq4.Socket, frames [][]byte) {
	if err := s.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		c.tb.Fatal(err)
	}
}

// reply waits for the reply to request id on ch.
func (c *client) reply(id string, ch chan *message, timeout time.Duration) *message {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case m := <-ch:
			if parentID(m) == id {
				return m
			}
		case <-t.C:
			return nil
		}
	}
}

// waitIOPub waits for an iopub message matching ok and returns it.
func (c *client) waitIOPub(ok func(*message) bool, timeout time.Duration) *message {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		c.mu.Lock()
		c.iopubCond.Broadcast()
		c.mu.Unlock()
	})
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := 0
	for {
		for ; seen < len(c.iopubMsgs); seen++ {
			if ok(c.iopubMsgs[seen]) {
				return c.iopubMsgs[seen]
			}
		}
		if c.closed || time.Now().After(deadline) {
			return nil
		}
		c.iopubCond.Wait()
	}
}

// outputs returns the iopub messages of request id, after its idle status.
func (c *client) outputs(id string, timeout time.Duration) []*message {
	c.tb.Helper()
	if c.waitIOPub(func(m *message) bool {
		return parentID(m) == id && m.header.MsgType == "status" && contentString(m, "execution_state") == "idle"
	}, timeout) == nil {
		c.tb.Fatalf("no idle status for %s", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*message
	for _, m := range c.iopubMsgs {
		if parentID(m) == id {
			out = append(out, m)
		}
	}
	return out
}

// result is an executed cell as the client saw it.
type result struct {
	reply   *message
	outputs []*message
}

// status is the execute_reply status.
func (r result) status() string { return contentString(r.reply, "status") }

// stream returns the text of the cell's stream output name.
func (r result) stream(name string) string {
	var b strings.Builder
	for _, m := range r.outputs {
		if m.header.MsgType == "stream" && contentString(m, "name") == name {
			b.WriteString(contentString(m, "text"))
		}
	}
	return b.String()
}

// data returns the data of the first output of msgType.
func (r result) data(msgType string) map[string]any {
	for _, m := range r.outputs {
		if m.header.MsgType == msgType {
			var c struct {
				Data map[string]any `json:"data"`
			}
			_ = json.Unmarshal(m.content, &c)
			return c.Data
		}
	}
	return nil
}

// text returns the text/plain execute_result.
func (r result) text() string {
	d := r.data("execute_result")
	s, _ := d["text/plain"].(string)
	return s
}

// errorName returns the ename of the cell's error output.
func (r result) errorName() string {
	for _, m := range r.outputs {
		if m.header.MsgType == "error" {
			return contentString(m, "ename") + ": " + contentString(m, "evalue")
		}
	}
	return ""
}

// types lists the msg types of the outputs (without status and
// execute_input).
func (r result) types() []string {
	var t []string
	for _, m := range r.outputs {
		if m.header.MsgType != "status" && m.header.MsgType != "execute_input" {
			t = append(t, m.header.MsgType)
		}
	}
	return t
}

// execute runs a cell and waits for its reply and outputs.
func (c *client) execute(code string, extra ...map[string]any) result {
	c.tb.Helper()
	content := map[string]any{"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true}
	for _, e := range extra {
		for k, v := range e {
			content[k] = v
		}
	}
	id := c.send(c.shell, "execute_request", content)
	rep := c.reply(id, c.shellCh, 30*time.Second)
	if rep == nil {
		c.tb.Fatalf("no execute_reply for %q", code)
	}
	return result{reply: rep, outputs: c.outputs(id, 10*time.Second)}
}

// request sends a shell request and waits for its reply.
func (c *client) request(msgType string, content any) *message {
	c.tb.Helper()
	id := c.send(c.shell, msgType, content)
	rep := c.reply(id, c.shellCh, 10*time.Second)
	if rep == nil {
		c.tb.Fatalf("no reply to %s", msgType)
	}
	return rep
}

func parentID(m *message) string {
	var p struct {
		MsgID string `json:"msg_id"`
	}
	_ = json.Unmarshal(m.parent, &p)
	return p.MsgID
}

func contentString(m *message, key string) string {
	var c map[string]any
	_ = json.Unmarshal(m.content, &c)
	s, _ := c[key].(string)
	return s
}

// contentOf decodes a message's content.
func contentOf(m *message) map[string]any {
	var c map[string]any
	_ = json.Unmarshal(m.content, &c)
	return c
}

// forget drops the iopub messages received so far (benchmarks run many
// cells).
func (c *client) forget() {
	c.mu.Lock()
	c.iopubMsgs = nil
	c.mu.Unlock()
}
