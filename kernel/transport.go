package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// zmq4 allocates each incoming frame at the size its header announces, up
// to 2^63 bytes, so one hostile header would crash the process. The kernel's
// sockets therefore listen through transports whose connections parse the
// ZMTP 3 framing as it arrives and cut a connection whose frame, message or
// frame count exceeds the limits, before zmq4 allocates anything. A peer
// that connects and stays silent is cut after handshakeTimeout (zmq4 runs
// the handshake on its accept loop).

// Names of the bounded transports, registered once with zmq4.
const (
	tcpTransport = "gtkernel-tcp"
	ipcTransport = "gtkernel-ipc"
)

// Limits on what a peer may send.
type limits struct {
	maxFrame  uint64 // bytes in one frame
	maxMsg    uint64 // bytes in one multipart message
	maxFrames int    // frames in one message
}

// DefaultMaxMessage is the default bound on one incoming message (all its
// frames together).
const DefaultMaxMessage = 64 << 20

// handshakeTimeout bounds the ZMTP greeting and handshake of a
// connection. zmq4 accepts connections one at a time, so a silent peer
// delays other peers by at most this much.
var handshakeTimeout atomic.Int64

func init() { handshakeTimeout.Store(int64(2 * time.Second)) }

// zmtpGreeting is the length of a ZMTP 3 greeting.
const zmtpGreeting = 64

var (
	limitsMu      sync.Mutex
	currentLimits = limits{maxFrame: DefaultMaxMessage, maxMsg: DefaultMaxMessage, maxFrames: 4096}
	registerOnce  sync.Once
	registerErr   error
)

// registerTransports registers the bounded transports (once per process)
// and sets the limits they apply.
func registerTransports(l limits) error {
	limitsMu.Lock()
	currentLimits = l
	limitsMu.Unlock()
	registerOnce.Do(func() {
		if err := zmq4.RegisterTransport(tcpTransport, boundedTransport{network: "tcp", inner: transport.New("tcp")}); err != nil {
			registerErr = err
			return
		}
		registerErr = zmq4.RegisterTransport(ipcTransport, boundedTransport{network: "unix", inner: transport.New("unix")})
	})
	return registerErr
}

func getLimits() limits {
	limitsMu.Lock()
	defer limitsMu.Unlock()
	return currentLimits
}

// boundedTransport wraps zmq4's net transport.
type boundedTransport struct {
	network string
	inner   transport.Transport
}

func (t boundedTransport) Dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	c, err := t.inner.Dial(ctx, d, addr)
	if err != nil {
		return nil, err
	}
	return newLimitConn(c, getLimits()), nil
}

func (t boundedTransport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	l, err := t.inner.Listen(ctx, addr)
	if err != nil {
		return nil, err
	}
	return limitListener{l}, nil
}

func (t boundedTransport) Addr(ep string) (string, error) { return t.inner.Addr(ep) }

type limitListener struct{ net.Listener }

func (l limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newLimitConn(c, getLimits()), nil
}

// errLimit is returned (and the connection closed) when a peer exceeds a
// limit or breaks the framing.
var errLimit = errors.New("kernel: peer exceeded a message limit")

// limitConn follows the ZMTP 3 framing of what it reads.
type limitConn struct {
	net.Conn
	lim limits

	mu        sync.Mutex
	greet     int     // greeting bytes still to come
	hdr       [9]byte // the frame header being read
	hdrN      int     // bytes of hdr read
	hdrWant   int     // its length (2 or 9), 0 before the flags byte
	body      uint64  // bytes left in the current frame's body
	msgBytes  uint64  // bytes of the current message so far
	msgFrames int     // frames of the current message so far
	handshake bool    // still waiting for the end of the first command
	err       error   // sticky
}

func newLimitConn(c net.Conn, l limits) *limitConn {
	_ = c.SetReadDeadline(time.Now().Add(time.Duration(handshakeTimeout.Load())))
	return &limitConn{Conn: c, lim: l, greet: zmtpGreeting, handshake: true}
}

func (c *limitConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.scan(p[:n]); e != nil {
		c.err = e
		logf("closing a connection from %s: %v", c.RemoteAddr(), e)
		_ = c.Conn.Close()
		return 0, e
	}
	return n, err
}

// scan advances the framing state over b.
func (c *limitConn) scan(b []byte) error {
	for len(b) > 0 {
		switch {
		case c.greet > 0:
			k := min(c.greet, len(b))
			c.greet -= k
			b = b[k:]
		case c.body > 0:
			k := uint64(len(b))
			if k > c.body {
				k = c.body
			}
			c.body -= k
			b = b[k:]
			if c.body == 0 {
				c.frameDone()
			}
		default:
			if c.hdrN == 0 {
				flags := b[0]
				if flags&^0x07 != 0 {
					return fmt.Errorf("%w: bad frame flags %#x", errLimit, flags)
				}
				c.hdrWant = 2
				if flags&0x02 != 0 {
					c.hdrWant = 9
				}
			}
			k := min(c.hdrWant-c.hdrN, len(b))
			copy(c.hdr[c.hdrN:], b[:k])
			c.hdrN += k
			b = b[k:]
			if c.hdrN < c.hdrWant {
				continue
			}
			if err := c.header(); err != nil {
				return err
			}
		}
	}
	return nil
}

// header checks a complete frame header against the limits.
func (c *limitConn) header() error {
	flags := c.hdr[0]
	var size uint64
	if c.hdrWant == 9 {
		size = binary.BigEndian.Uint64(c.hdr[1:9])
	} else {
		size = uint64(c.hdr[1])
	}
	c.hdrN = 0
	if size > c.lim.maxFrame {
		return fmt.Errorf("%w: a frame of %d bytes (limit %d)", errLimit, size, c.lim.maxFrame)
	}
	command := flags&0x04 != 0
	if !command {
		c.msgFrames++
		c.msgBytes += size
		if c.msgFrames > c.lim.maxFrames {
			return fmt.Errorf("%w: more than %d frames in a message", errLimit, c.lim.maxFrames)
		}
		if c.msgBytes > c.lim.maxMsg {
			return fmt.Errorf("%w: a message of more than %d bytes", errLimit, c.lim.maxMsg)
		}
		if flags&0x01 == 0 {
			c.msgFrames, c.msgBytes = 0, 0
		}
	}
	c.body = size
	if size == 0 {
		c.frameDone()
	}
	return nil
}

// frameDone ends a frame's body: the first one ends the handshake.
func (c *limitConn) frameDone() {
	if c.handshake {
		c.handshake = false
		_ = c.Conn.SetReadDeadline(time.Time{})
	}
}
