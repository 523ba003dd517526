package kernel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSplitCell(t *testing.T) {
	for _, tc := range []struct {
		code  string
		parts []string // kind:content
		magic string
	}{
		{"x := 1\nx", []string{"go:x := 1\nx"}, ""},
		{"import \"fmt\"\n%%\nfmt.Println(1)", []string{"go:import \"fmt\"\n\nfmt.Println(1)"}, ""},
		{"%vars\nx := 1\n%time x\n!ls -l", []string{"magic:vars:", "go:\nx := 1", "magic:time:x", "shell:ls -l"}, ""},
		{":doc tl.Zeros", []string{"magic:doc:tl.Zeros"}, ""},
		{"ok := a &&\n!b", []string{"go:ok := a &&\n!b"}, ""}, // a continued expression stays Go
		{"x := []int{\n1,\n}\n!echo a \\\n  b", []string{"go:x := []int{\n1,\n}", "shell:echo a \\\n  b"}, ""},
		{"!*pwd", []string{"shell:pwd"}, ""},
		{"\n%%time\nx := 1", []string{"go:\n\nx := 1"}, "time"},
		{"  %vars", []string{"go:  %vars"}, ""}, // indented: Go (a syntax error there)
	} {
		c, err := splitCell(tc.code)
		if err != nil {
			t.Errorf("%q: %v", tc.code, err)
			continue
		}
		var got []string
		for _, p := range c.parts {
			switch p.kind {
			case goPart:
				got = append(got, "go:"+p.src)
			case magicPart:
				got = append(got, "magic:"+p.name+":"+p.args)
			case shellPart:
				got = append(got, "shell:"+p.args)
			}
		}
		if !reflect.DeepEqual(got, tc.parts) || c.cellMagic != tc.magic {
			t.Errorf("%q:\n got %q %q\nwant %q %q", tc.code, got, c.cellMagic, tc.parts, tc.magic)
		}
	}
	if _, err := splitCell("%%writefile x.go\npackage main"); err == nil {
		t.Error("an unknown cell magic was accepted")
	}
}

func TestNameAt(t *testing.T) {
	for _, tc := range []struct {
		code string
		pos  int
		want string
	}{
		{"tl.Zeros", 8, "tl.Zeros"},
		{"tl.Zeros", 4, "tl.Zeros"},
		{"x := tl.Zeros(2, 3)", 16, "tl.Zeros"},
		{"f(tl.Ones(1), ", 14, "f"},
		{"a.b.C", 2, "a.b"},
		{"", 0, ""},
		{"(", 1, ""},
	} {
		if got := nameAt(tc.code, tc.pos); got != tc.want {
			t.Errorf("nameAt(%q, %d) = %q, want %q", tc.code, tc.pos, got, tc.want)
		}
	}
}

func TestCodePointOffsets(t *testing.T) {
	code := "é := tl.Z"
	if b := byteOffset(code, 9); b != len(code) {
		t.Errorf("byteOffset = %d", b)
	}
	if b := byteOffset(code, 1); b != 2 {
		t.Errorf("byteOffset(1) = %d", b)
	}
	if n := codePoints(code, len(code)); n != 9 {
		t.Errorf("codePoints = %d", n)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, s string
		ok      bool
	}{
		{"1 + ?", "1 + 2", true},
		{"1 + ?", "1 + 23", false},
		{"*Zeros*", "x := tl.Zeros(2)\ny", true},
		{"[ab]c", "bc", true},
		{"[!ab]c", "bc", false},
		{"a.b", "axb", false},
		{"é*", "éa", true},
		{"[", "[", true},
	} {
		if got := globRegexp(tc.glob).MatchString(tc.s); got != tc.ok {
			t.Errorf("glob %q on %q: %v", tc.glob, tc.s, got)
		}
	}
}

func TestMissingImports(t *testing.T) {
	bound := func(name string) bool { return name == "tl" || name == "fmt" || name == "mine" }
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{`strings.ToUpper("a")`, []string{"strings"}},
		{`rand.Intn(3) + int(rand.Int63())`, []string{"math/rand"}},
		{`x := rand.Reader`, []string{"crypto/rand"}},
		{`tl.Ones(1); fmt.Println(mine.X)`, nil},
		{`json := 1; json.Marshal`, nil}, // a variable
		{`x.strings.Y`, nil},
		{`os.Stderr; time.Now(); filepath.Join("a")`, []string{"os", "path/filepath", "time"}},
		{`nosuchpkg.F()`, nil},
	} {
		if got := missingImports(tc.src, bound); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestCaptureKeepsOrderAndFlushes(t *testing.T) {
	var mu sync.Mutex
	var got []string
	dst := &outStream{send: func(text string) {
		mu.Lock()
		got = append(got, text)
		mu.Unlock()
	}}
	c, err := newCapture(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.w.Close(); <-c.closed; c.r.Close() }()
	var want strings.Builder
	for i := 0; i < 2000; i++ {
		line := strings.Repeat("x", i%70) + "é\n"
		want.WriteString(line)
		c.w.WriteString(line)
	}
	c.sync()
	dst.flush(true)
	mu.Lock()
	all := strings.Join(got, "")
	mu.Unlock()
	if all != want.String() {
		t.Fatalf("captured %d bytes, want %d", len(all), want.Len())
	}
	// Pieces of a marker that are not a marker pass through.
	if k := markerOverlap([]byte("abc\x00gt-ker"), c.marker); k != len("\x00gt-ker") {
		t.Errorf("overlap %d", k)
	}
	if k := markerOverlap([]byte("abc"), c.marker); k != 0 {
		t.Errorf("overlap %d", k)
	}
}

func TestStreamBatchesAndSplitsUTF8(t *testing.T) {
	var mu sync.Mutex
	var got []string
	s := &outStream{send: func(text string) {
		mu.Lock()
		got = append(got, text)
		mu.Unlock()
	}}
	s.Write([]byte("a\n"))
	s.Write([]byte("b\n\xc3")) // half of é
	s.flush(false)
	s.Write([]byte("\xa9\n"))
	time.Sleep(3 * streamDelay)
	mu.Lock()
	defer mu.Unlock()
	// However the timer cut the text, no piece splits the é.
	for _, piece := range got {
		if !utf8.ValidString(piece) {
			t.Errorf("sent an invalid piece %q", piece)
		}
	}
	if strings.Join(got, "") != "a\nb\né\n" {
		t.Errorf("sent %q", got)
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gtrepl")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	kdir, err := Install(InstallOptions{Binary: bin, Prefix: filepath.Join(dir, "prefix")})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "prefix", "share", "jupyter", "kernels", "gt"); kdir != want {
		t.Errorf("installed in %s, want %s", kdir, want)
	}
	raw, err := os.ReadFile(filepath.Join(kdir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec KernelSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	want := []string{bin, "jupyter", "kernel", "-f", "{connection_file}"}
	if !reflect.DeepEqual(spec.Argv, want) || spec.DisplayName != "Go tensors (gt)" || spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("kernelspec %+v", spec)
	}
	t.Setenv("JUPYTER_DATA_DIR", filepath.Join(dir, "data"))
	if kdir, err := Install(InstallOptions{Binary: bin, Name: "gt2"}); err != nil || kdir != filepath.Join(dir, "data", "kernels", "gt2") {
		t.Errorf("user install: %s %v", kdir, err)
	}
	for _, bad := range []InstallOptions{{}, {Binary: filepath.Join(dir, "missing")}, {Binary: bin, Name: "a/b"},
		{Binary: filepath.Join(os.TempDir(), "go-build123", "exe", "gtrepl")}} {
		if _, err := Install(bad); err == nil {
			t.Errorf("Install(%+v) succeeded", bad)
		}
	}
}

func TestReadConnectionFile(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.json")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	ci, err := ReadConnectionFile(write(`{"shell_port": 1, "iopub_port": 2, "key": "k", "signature_scheme": "hmac-sha256", "transport": "tcp", "ip": "127.0.0.1"}`))
	if err != nil || ci.ShellPort != 1 || ci.Key != "k" {
		t.Errorf("%+v %v", ci, err)
	}
	for _, bad := range []string{`{`, `{"signature_scheme": "hmac-md5"}`, `{"transport": "udp"}`, `{"shell_port": 70000}`} {
		if _, err := ReadConnectionFile(write(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := ReadConnectionFile(filepath.Join(dir, "none.json")); err == nil {
		t.Error("a missing file was accepted")
	}
}
