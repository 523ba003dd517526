package data

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDownloadMNIST serves the four files from a local server (the test
// machine has no internet).
func TestDownloadMNIST(t *testing.T) {
	files := map[string][]byte{
		"/mnist/train-images-idx3-ubyte.gz": gz(append(idxHeader(idxUByte, 1, 2, 2), 0, 51, 102, 255)),
		"/mnist/train-labels-idx1-ubyte.gz": gz(append(idxHeader(idxUByte, 1), 7)),
		"/mnist/t10k-images-idx3-ubyte.gz":  gz(append(idxHeader(idxUByte, 1, 2, 2), 1, 2, 3, 4)),
		"/mnist/t10k-labels-idx1-ubyte.gz":  []byte("not idx"),
	}
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	dir := t.TempDir()
	err := DownloadMNIST(dir, srv.URL+"/mnist")
	if err == nil || !strings.Contains(err.Error(), "not an IDX file") {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err == nil {
		t.Error("invalid download left in place")
	}
	files["/mnist/t10k-labels-idx1-ubyte.gz"] = gz(append(idxHeader(idxUByte, 1), 3))
	requests = 0
	if err := DownloadMNIST(dir, srv.URL+"/mnist/"); err != nil {
		t.Fatal(err)
	}
	if requests != 1 {
		t.Errorf("%d requests, want 1 (the others are already there)", requests)
	}
	ds, err := LoadMNIST(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Get(0)[0].Float32s(); got[1] != 0.2 || got[3] != 1 || ds.Get(0)[1].Item() != 7 {
		t.Errorf("downloaded sample: %v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files in dir, want 4 (no temporary files)", len(entries))
	}
	if err := DownloadMNIST(t.TempDir(), srv.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
}
