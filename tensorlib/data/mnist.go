package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
)

// mnistFiles are the four files of MNIST and Fashion-MNIST, uncompressed
// names; each may also be present with a .gz suffix.
var mnistFiles = []string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// mnistDirs are the places LoadMNIST looks under dir: dir itself and
// torchvision's layouts.
var mnistDirs = []string{".", "raw", "MNIST/raw", "FashionMNIST/raw"}

// findMNIST returns the path of the named file (or its .gz) under dir.
func findMNIST(dir, name string) (string, error) {
	for _, sub := range mnistDirs {
		for _, n := range []string{name, name + ".gz"} {
			p := filepath.Join(dir, sub, n)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("data: LoadMNIST: %s(.gz) not found in %s (also looked in %s)", name, dir, strings.Join(mnistDirs[1:], ", "))
}

// readIDXPath reads an IDX file from disk.
func readIDXPath(path string) (*idxFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer fh.Close()
	f, err := readIDX(fh)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return f, nil
}

// LoadMNIST loads the training (train) or test split of MNIST or
// Fashion-MNIST from the original IDX files in dir (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-…, each optionally gzipped; torchvision's
// raw/ sub-directories are searched too). Sample i is (image, label): images
// are Float32 pixels/255 shaped (N, 1, H, W) — torchvision's ToTensor — and
// labels Int64 (N).
func LoadMNIST(dir string, train bool) (*TensorDataset, error) {
	split := "t10k"
	if train {
		split = "train"
	}
	ip, err := findMNIST(dir, split+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lp, err := findMNIST(dir, split+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	imgs, err := readIDXPath(ip)
	if err != nil {
		return nil, err
	}
	labels, err := readIDXPath(lp)
	if err != nil {
		return nil, err
	}
	if imgs.code != idxUByte || len(imgs.shape) != 3 {
		return nil, fmt.Errorf("data: LoadMNIST: %s: expected unsigned bytes shaped (N, H, W), got type 0x%02x shape %v", ip, imgs.code, imgs.shape)
	}
	if labels.code != idxUByte || len(labels.shape) != 1 {
		return nil, fmt.Errorf("data: LoadMNIST: %s: expected unsigned bytes shaped (N), got type 0x%02x shape %v", lp, labels.code, labels.shape)
	}
	if labels.shape[0] != imgs.shape[0] {
		return nil, fmt.Errorf("data: LoadMNIST: %d images but %d labels", imgs.shape[0], labels.shape[0])
	}
	px := make([]float32, len(imgs.raw))
	for i, b := range imgs.raw {
		px[i] = float32(b) / 255
	}
	imgs.raw = nil
	x := tl.FromFloat32s(px, imgs.shape[0], 1, imgs.shape[1], imgs.shape[2])
	y := make([]int64, len(labels.raw))
	for i, b := range labels.raw {
		y[i] = int64(b)
	}
	return NewTensorDataset(x, tl.FromInt64s(y)), nil
}

// MNISTURL is the default mirror DownloadMNIST fetches from (torchvision's).
const MNISTURL = "https://ossci-datasets.s3.amazonaws.com/mnist/"

// maxDownload bounds one downloaded file (MNIST's largest is under 10 MB
// compressed, Fashion-MNIST's under 30 MB).
const maxDownload = 256 << 20

// DownloadMNIST fetches the four gzipped MNIST files from baseURL (MNISTURL
// when empty; a Fashion-MNIST mirror works too) into dir, skipping files that
// are already there (compressed or not). Each file is checked to be a valid
// IDX file before it is atomically moved into place.
func DownloadMNIST(dir, baseURL string) error {
	if baseURL == "" {
		baseURL = MNISTURL
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data: DownloadMNIST: %w", err)
	}
	client := &http.Client{Timeout: 10 * time.Minute}
	for _, name := range mnistFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			continue
		}
		dst := filepath.Join(dir, name+".gz")
		if _, err := os.Stat(dst); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("data: DownloadMNIST: %w", err)
		}
		if err := download(client, baseURL+name+".gz", dst); err != nil {
			return fmt.Errorf("data: DownloadMNIST: %w", err)
		}
	}
	return nil
}

// download fetches url into dst via a checked temporary file.
func download(client *http.Client, url, dst string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err == nil && n > maxDownload {
		err = fmt.Errorf("GET %s: more than %d bytes", url, maxDownload)
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err == nil {
		if _, perr := readIDX(tmp); perr != nil {
			err = fmt.Errorf("GET %s: not an IDX file: %w", url, perr)
		}
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	return err
}
