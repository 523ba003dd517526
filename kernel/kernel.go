package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"sync"

	"github.com/go-zeromq/zmq4"
	"github.com/gotensor/gt/repl"
	tl "github.com/gotensor/gt/tensorlib"
)

// Options configure a Kernel. The zero value suits a kernel embedded in
// another program (tests): output of evaluated code is captured through the
// session's streams only.
type Options struct {
	// Log receives the kernel's log: rejected and malformed messages,
	// socket errors. Nil means the process's standard error (as it was when
	// New ran).
	Log io.Writer
	// CaptureProcessOutput also redirects the process's os.Stdout and
	// os.Stderr into the cells' stream output, so what compiled code and
	// shell commands write there reaches the notebook, in order with the
	// rest. The kernel command sets it; it changes process-wide state.
	CaptureProcessOutput bool
	// MaxMessageSize bounds one incoming message (all frames together);
	// 0 means DefaultMaxMessage.
	MaxMessageSize int
}

// Kernel is one running Jupyter kernel: its sockets and its REPL session.
type Kernel struct {
	conn ConnectionInfo
	opts Options
	sg   *signer
	id   string // this kernel's session id, in the headers it sends
	log  *log.Logger
	sess *repl.Session

	shell, control, stdin, iopub, hb zmq4.Socket
	shellMu, controlMu, stdinMu      sync.Mutex
	iopubMu                          sync.Mutex

	shellQ   chan *message // shell requests, handled one at a time
	stdinQ   chan *message // input replies
	done     chan struct{} // closed at shutdown
	stopOnce sync.Once
	restart  bool

	// The cell being run (nil between cells) and the parent of output
	// (the running cell, else the last one).
	runMu      sync.Mutex
	run        *cellRun
	lastParent json.RawMessage
	displayIDs map[string]bool

	count   int // execution count
	history []histEntry

	stdout, stderr *outStream
	captures       []*capture
	procOut        io.Writer // where shell commands write (a capture pipe or stdout)
	procErr        io.Writer
	restoreStdio   func()
	wg             sync.WaitGroup
}

// cellRun is the context of one execute_request.
type cellRun struct {
	parent     json.RawMessage
	identities [][]byte
	allowStdin bool
	ctx        context.Context
	cancel     context.CancelFunc
}

// New creates a kernel for a connection and binds its sockets. A port of 0
// picks a free port (see Connection).
func New(conn ConnectionInfo, opts Options) (*Kernel, error) {
	if err := conn.check(); err != nil {
		return nil, err
	}
	logw := opts.Log
	if logw == nil {
		logw = os.Stderr
	}
	maxMsg := uint64(opts.MaxMessageSize)
	if maxMsg == 0 {
		maxMsg = DefaultMaxMessage
	}
	if err := registerTransports(limits{maxFrame: maxMsg, maxMsg: maxMsg, maxFrames: 4096}); err != nil {
		return nil, err
	}
	k := &Kernel{
		conn:       conn,
		opts:       opts,
		sg:         newSigner(conn.Key),
		id:         newID(),
		log:        log.New(logw, "gt kernel: ", log.LstdFlags),
		shellQ:     make(chan *message, 64),
		stdinQ:     make(chan *message, 1),
		done:       make(chan struct{}),
		displayIDs: map[string]bool{},
	}
	setLogger(k.log)
	if conn.Key == "" {
		k.log.Print("warning: the connection file has no key: messages are not authenticated")
	}
	k.stdout, k.stderr = k.newStream("stdout"), k.newStream("stderr")
	sopts := repl.Options{Stdout: k.stdout, Stderr: k.stderr, Stdin: &stdinReader{k: k}, ReadLine: k.readLine}
	k.procOut, k.procErr = k.stdout, k.stderr
	if opts.CaptureProcessOutput {
		if err := k.captureStdio(); err != nil {
			return nil, err
		}
		sopts.Stdout, sopts.Stderr = k.procOut, k.procErr
	}
	sess, err := repl.New(sopts)
	if err != nil {
		k.closeStdio()
		return nil, err
	}
	k.sess = sess
	if err := attachDisplay(k); err != nil {
		k.log.Printf("rich display unavailable (plain text instead): %v", err)
	}
	if err := k.bind(); err != nil {
		k.closeSockets()
		k.closeStdio()
		return nil, err
	}
	return k, nil
}

// Connection returns the connection information with the ports actually
// bound.
func (k *Kernel) Connection() ConnectionInfo { return k.conn }

// Session returns the kernel's REPL session.
func (k *Kernel) Session() *repl.Session { return k.sess }

// bind creates and binds the five sockets.
func (k *Kernel) bind() error {
	ctx := context.Background()
	k.shell = zmq4.NewRouter(ctx, zmq4.WithLogger(discardLogger))
	k.control = zmq4.NewRouter(ctx, zmq4.WithLogger(discardLogger))
	k.stdin = zmq4.NewRouter(ctx, zmq4.WithLogger(discardLogger))
	k.iopub = zmq4.NewPub(ctx, zmq4.WithLogger(discardLogger))
	k.hb = zmq4.NewRep(ctx, zmq4.WithLogger(discardLogger))
	for _, s := range []struct {
		sock zmq4.Socket
		port *int
		name string
	}{
		{k.shell, &k.conn.ShellPort, "shell"}, {k.control, &k.conn.ControlPort, "control"},
		{k.stdin, &k.conn.StdinPort, "stdin"}, {k.iopub, &k.conn.IOPubPort, "iopub"},
		{k.hb, &k.conn.HBPort, "heartbeat"},
	} {
		if err := s.sock.Listen(k.conn.endpoint(*s.port)); err != nil {
			return fmt.Errorf("kernel: %s socket: %w", s.name, err)
		}
		if *s.port == 0 {
			if a, ok := s.sock.Addr().(interface{ String() string }); ok {
				_, _ = fmt.Sscanf(portOf(a.String()), "%d", s.port)
			}
		}
	}
	return nil
}

// portOf returns the port of a "host:port" address.
func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return ""
}

// discardLogger silences zmq4's own messages (the kernel logs what
// matters).
var discardLogger = log.New(io.Discard, "", 0)

// Run serves the kernel until a shutdown_request or until ctx is
// cancelled. It reports whether the front end asked for a restart (the
// session has then been reset).
func (k *Kernel) Run(ctx context.Context) (restart bool, err error) {
	k.publish("status", nil, map[string]any{"execution_state": "starting"})
	k.wg.Add(5)
	go k.heartbeat()
	go k.receive(k.shell, "shell", func(m *message) {
		select {
		case k.shellQ <- m:
		case <-k.done:
		}
	})
	go k.receive(k.control, "control", k.handleControl)
	go k.receive(k.stdin, "stdin", func(m *message) {
		if m.header.MsgType != "input_reply" {
			k.log.Printf("stdin: ignoring a %s", m.header.MsgType)
			return
		}
		select {
		case k.stdinQ <- m:
		default: // nobody waits: drop it
		}
	})
	go k.serveShell()
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-k.done:
	}
	k.stop()
	detachDisplay(k)
	k.interruptRun()
	k.closeSockets()
	k.wg.Wait()
	k.flushOutput()
	k.closeStdio()
	return k.restart, err
}

// stop marks the kernel as stopping.
func (k *Kernel) stop() { k.stopOnce.Do(func() { close(k.done) }) }

func (k *Kernel) closeSockets() {
	for _, s := range []zmq4.Socket{k.shell, k.control, k.stdin, k.iopub, k.hb} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// heartbeat echoes every ping.
func (k *Kernel) heartbeat() {
	defer k.wg.Done()
	for {
		msg, err := k.hb.Recv()
		if err != nil {
			return
		}
		if err := k.hb.Send(msg); err != nil {
			select {
			case <-k.done:
				return
			default:
				k.log.Printf("heartbeat: %v", err)
			}
		}
	}
}

// receive reads a ROUTER socket, checks each message and hands it on.
// Nothing a peer sends stops the loop; only closing the socket does.
func (k *Kernel) receive(sock zmq4.Socket, name string, handle func(*message)) {
	defer k.wg.Done()
	for {
		zm, err := sock.Recv()
		if err != nil {
			select {
			case <-k.done:
				return
			default:
			}
			if errors.Is(err, context.Canceled) {
				return
			}
			k.log.Printf("%s: receive: %v", name, err)
			continue
		}
		if zm.Type == zmq4.CmdMsg {
			continue
		}
		m, err := decode(zm.Frames, k.sg)
		if err != nil {
			k.log.Printf("%s: rejected a message (%d frames): %v", name, len(zm.Frames), err)
			continue
		}
		handle(m)
	}
}

// serveShell handles shell requests one at a time.
func (k *Kernel) serveShell() {
	defer k.wg.Done()
	for {
		select {
		case <-k.done:
			return
		case m := <-k.shellQ:
			k.handleShell(m)
		}
	}
}

// handleShell answers one shell request, between busy and idle statuses.
func (k *Kernel) handleShell(m *message) {
	defer k.recoverHandler("shell", m)
	switch m.header.MsgType {
	case "comm_open", "comm_msg", "comm_close":
		return // no comm targets: ignored, as ipykernel does for unknown targets
	}
	k.publish("status", m.rawHeader, map[string]any{"execution_state": "busy"})
	defer k.publish("status", m.rawHeader, map[string]any{"execution_state": "idle"})
	switch m.header.MsgType {
	case "kernel_info_request":
		k.reply(k.shell, &k.shellMu, m, "kernel_info_reply", kernelInfo())
	case "execute_request":
		k.execute(m)
	case "complete_request":
		k.complete(m)
	case "inspect_request":
		k.inspect(m)
	case "is_complete_request":
		k.isComplete(m)
	case "history_request":
		k.historyRequest(m)
	case "comm_info_request":
		k.reply(k.shell, &k.shellMu, m, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
	case "shutdown_request":
		k.shutdown(k.shell, &k.shellMu, m)
	default:
		k.log.Printf("shell: unsupported message type %q", m.header.MsgType)
	}
}

// handleControl answers control requests as they arrive, while a cell may
// be running.
func (k *Kernel) handleControl(m *message) {
	defer k.recoverHandler("control", m)
	k.publish("status", m.rawHeader, map[string]any{"execution_state": "busy"})
	defer k.publish("status", m.rawHeader, map[string]any{"execution_state": "idle"})
	switch m.header.MsgType {
	case "interrupt_request":
		k.Interrupt()
		k.reply(k.control, &k.controlMu, m, "interrupt_reply", map[string]any{"status": "ok"})
	case "shutdown_request":
		k.shutdown(k.control, &k.controlMu, m)
	case "kernel_info_request":
		k.reply(k.control, &k.controlMu, m, "kernel_info_reply", kernelInfo())
	default:
		k.log.Printf("control: unsupported message type %q", m.header.MsgType)
	}
}

// recoverHandler logs a panic of the kernel's own code while handling m;
// the kernel keeps running.
func (k *Kernel) recoverHandler(channel string, m *message) {
	if r := recover(); r != nil {
		buf := make([]byte, 8192)
		buf = buf[:runtime.Stack(buf, false)]
		k.log.Printf("%s: panic handling %s: %v\n%s", channel, m.header.MsgType, r, buf)
	}
}

// Interrupt stops the running cell, if any, as Ctrl-C does in gtrepl:
// interpreted loops and tensorlib kernels stop, variables survive.
func (k *Kernel) Interrupt() { k.interruptRun() }

func (k *Kernel) interruptRun() {
	k.runMu.Lock()
	defer k.runMu.Unlock()
	if k.run != nil {
		k.run.cancel()
	}
}

// shutdown answers a shutdown_request and stops the kernel; with restart,
// the session is reset first (a front end then usually starts a new
// process anyway).
func (k *Kernel) shutdown(sock zmq4.Socket, mu *sync.Mutex, m *message) {
	var c struct {
		Restart bool `json:"restart"`
	}
	_ = json.Unmarshal(m.content, &c)
	k.interruptRun()
	if c.Restart {
		if err := k.sess.Reset(); err != nil {
			k.log.Printf("restart: %v", err)
		}
		k.runMu.Lock()
		k.count, k.history = 0, nil
		k.runMu.Unlock()
	}
	k.restart = c.Restart
	k.reply(sock, mu, m, "shutdown_reply", map[string]any{"status": "ok", "restart": c.Restart})
	k.stop()
}

// kernelInfo is the content of kernel_info_reply.
func kernelInfo() map[string]any {
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       ProtocolVersion,
		"implementation":         "gt",
		"implementation_version": tl.Version,
		"language_info": map[string]any{
			"name":               "go",
			"version":            runtime.Version(),
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "",
		},
		"banner": "gt " + tl.Version + " — Go tensors with PyTorch's workflow (" + runtime.Version() + ").\n" +
			"Values persist between cells; %help lists the magics.",
		"help_links": []map[string]string{
			{"text": "gt", "url": "https://github.com/gotensor/gt"},
			{"text": "Go", "url": "https://go.dev/doc/"},
		},
		"debugger": false,
	}
}

// header makes the header of an outgoing message.
func (k *Kernel) header(msgType string) Header {
	return Header{MsgID: newID(), Session: k.id, Username: "kernel", Date: now(), MsgType: msgType, Version: ProtocolVersion}
}

// reply sends a reply to request m on a ROUTER socket.
func (k *Kernel) reply(sock zmq4.Socket, mu *sync.Mutex, m *message, msgType string, content any) {
	k.sendTo(sock, mu, m.identities, m.rawHeader, msgType, content)
}

// sendTo sends a message to the peers named by identities.
func (k *Kernel) sendTo(sock zmq4.Socket, mu *sync.Mutex, ids [][]byte, parent json.RawMessage, msgType string, content any) {
	frames, err := encode(k.sg, ids, k.header(msgType), parent, nil, content)
	if err != nil {
		k.log.Printf("encoding %s: %v", msgType, err)
		return
	}
	mu.Lock()
	err = sock.Send(zmq4.NewMsgFrom(frames...))
	mu.Unlock()
	if err != nil {
		k.log.Printf("sending %s: %v", msgType, err)
	}
}

// publish broadcasts a message on iopub.
func (k *Kernel) publish(msgType string, parent json.RawMessage, content any) {
	topic := []byte("kernel." + k.id + "." + msgType)
	frames, err := encode(k.sg, [][]byte{topic}, k.header(msgType), parent, nil, content)
	if err != nil {
		k.log.Printf("encoding %s: %v", msgType, err)
		return
	}
	k.iopubMu.Lock()
	err = k.iopub.Send(zmq4.NewMsgFrom(frames...))
	k.iopubMu.Unlock()
	if err != nil {
		select {
		case <-k.done:
		default:
			k.log.Printf("publishing %s: %v", msgType, err)
		}
	}
}

// outputParent is the parent header of output published now.
func (k *Kernel) outputParent() json.RawMessage {
	k.runMu.Lock()
	defer k.runMu.Unlock()
	return k.lastParent
}

// currentRun returns the running cell, or nil.
func (k *Kernel) currentRun() *cellRun {
	k.runMu.Lock()
	defer k.runMu.Unlock()
	return k.run
}

// package-level logger for the transports (shared by the kernels of a
// process).
var (
	pkgLogMu sync.Mutex
	pkgLog   *log.Logger
)

func setLogger(l *log.Logger) {
	pkgLogMu.Lock()
	pkgLog = l
	pkgLogMu.Unlock()
}

func logf(format string, args ...any) {
	pkgLogMu.Lock()
	l := pkgLog
	pkgLogMu.Unlock()
	if l != nil {
		l.Printf(format, args...)
	}
}
