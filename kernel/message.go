package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// ProtocolVersion is the version of the Jupyter messaging protocol the
// kernel speaks.
const ProtocolVersion = "5.3"

// delimiter separates routing identities from the message proper.
const delimiter = "<IDS|MSG>"

// maxIdentities bounds the routing prefix of a message.
const maxIdentities = 32

// Header is a message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// message is a received or outgoing message. Parent, metadata and content
// stay raw JSON; a received header is kept raw too, to be echoed as the
// parent of replies exactly as the front end sent it.
type message struct {
	identities [][]byte
	header     Header
	rawHeader  json.RawMessage
	parent     json.RawMessage
	metadata   json.RawMessage
	content    json.RawMessage
	buffers    [][]byte
}

// Errors of decoding.
var (
	errNoDelimiter = errors.New("no <IDS|MSG> delimiter")
	errBadSig      = errors.New("bad signature")
	errReplay      = errors.New("replayed signature")
)

// signer signs and checks messages with the connection's key.
type signer struct {
	key  []byte
	mu   sync.Mutex
	seen map[string]struct{} // signatures received, to refuse replays
	ring []string
	next int
}

// replayWindow is how many received signatures are remembered.
const replayWindow = 1 << 16

func newSigner(key string) *signer {
	return &signer{key: []byte(key), seen: map[string]struct{}{}, ring: make([]string, replayWindow)}
}

func (s *signer) mac() hash.Hash { return hmac.New(sha256.New, s.key) }

// sign returns the hex signature of the four signed parts.
func (s *signer) sign(parts ...[]byte) []byte {
	if len(s.key) == 0 {
		return []byte{}
	}
	m := s.mac()
	for _, p := range parts {
		m.Write(p)
	}
	sum := m.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// verify checks a received signature (constant-time) and that it was not
// seen before.
func (s *signer) verify(sig []byte, parts ...[]byte) error {
	if len(s.key) == 0 {
		return nil
	}
	got := make([]byte, hex.DecodedLen(len(sig)))
	if _, err := hex.Decode(got, sig); err != nil || len(got) != sha256.Size {
		return errBadSig
	}
	m := s.mac()
	for _, p := range parts {
		m.Write(p)
	}
	if !hmac.Equal(got, m.Sum(nil)) {
		return errBadSig
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := string(got)
	if _, dup := s.seen[k]; dup {
		return errReplay
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.seen, old)
	}
	s.ring[s.next] = k
	s.next = (s.next + 1) % len(s.ring)
	s.seen[k] = struct{}{}
	return nil
}

// decode parses the frames of a message received on a ROUTER socket and
// checks its signature.
func decode(frames [][]byte, sg *signer) (*message, error) {
	d := -1
	for i, f := range frames {
		if i > maxIdentities {
			break
		}
		if string(f) == delimiter {
			d = i
			break
		}
	}
	if d < 0 {
		return nil, errNoDelimiter
	}
	if len(frames) < d+6 {
		return nil, fmt.Errorf("%d parts after the delimiter, want at least 5", len(frames)-d-1)
	}
	sig, h, p, md, c := frames[d+1], frames[d+2], frames[d+3], frames[d+4], frames[d+5]
	if err := sg.verify(sig, h, p, md, c); err != nil {
		return nil, err
	}
	m := &message{identities: frames[:d], rawHeader: h, parent: p, metadata: md, content: c, buffers: frames[d+6:]}
	if err := json.Unmarshal(h, &m.header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if m.header.MsgType == "" {
		return nil, errors.New("header without msg_type")
	}
	for _, part := range []struct {
		name string
		raw  json.RawMessage
	}{{"parent_header", p}, {"metadata", md}, {"content", c}} {
		if !isObject(part.raw) {
			return nil, fmt.Errorf("%s is not a JSON object", part.name)
		}
	}
	return m, nil
}

// isObject reports whether raw is a JSON object.
func isObject(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	return json.Valid(raw)
}

// newID returns a random message id (a UUID 4 in its usual form).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// now formats the current time as Jupyter's ISO 8601 dates.
func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }

// encode builds the frames of an outgoing message.
func encode(sg *signer, identities [][]byte, h Header, parent json.RawMessage, metadata, content any) ([][]byte, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if len(parent) == 0 {
		parent = json.RawMessage("{}")
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	mb, err := json.Marshal(metadata)
	if err != nil {
		return nil, err
	}
	cb, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	frames := make([][]byte, 0, len(identities)+6)
	frames = append(frames, identities...)
	frames = append(frames, []byte(delimiter), sg.sign(hb, parent, mb, cb), hb, parent, mb, cb)
	return frames, nil
}
