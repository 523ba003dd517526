package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// CSVHeader says whether a CSV input starts with a header row.
type CSVHeader int

// Header modes. HeaderAuto (the zero value) treats the first row as a header
// when one of its fields is not a number.
const (
	HeaderAuto CSVHeader = iota
	HeaderPresent
	HeaderAbsent
)

// CSVOptions are ReadCSV's optional settings; the zero value reads
// comma-separated numbers into Float32, detecting a header row.
type CSVOptions struct {
	Comma   rune      // field separator; 0 means ','
	Comment rune      // lines starting with it are skipped; 0: none
	Header  CSVHeader // whether the first row names the columns
	// Columns selects columns by header name, in this order; nil keeps all.
	// Unselected columns need not be numeric.
	Columns []string
	// Float64 reads into a Float64 tensor instead of Float32.
	Float64 bool
	// MissingAsNaN reads empty fields and NA/N/A/null as NaN instead of
	// failing.
	MissingAsNaN bool
}

// ReadCSV reads a table of numbers into a 2-D tensor (rows × columns) and
// returns the header's column names (nil without a header). Numbers are
// parsed with strconv.ParseFloat (so nan and inf are accepted), surrounding
// spaces ignored. Errors name the line and column of the offending field.
func ReadCSV(r io.Reader, opts CSVOptions) (*tl.Tensor, []string, error) {
	cr := csv.NewReader(r)
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	cr.Comment = opts.Comment
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	fail := func(format string, args ...any) (*tl.Tensor, []string, error) {
		return nil, nil, fmt.Errorf("data: ReadCSV: "+format, args...)
	}
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fail("empty input")
	}
	if err != nil {
		return fail("%v", err)
	}
	ncol := len(first)
	var names []string
	header := opts.Header == HeaderPresent
	if opts.Header == HeaderAuto {
		for _, f := range first {
			if _, ok := parseNumber(f, opts.MissingAsNaN); !ok {
				header = true
				break
			}
		}
	}
	if header {
		names = make([]string, ncol)
		for i, f := range first {
			names[i] = strings.TrimSpace(f)
		}
	}
	// cols are the indices of the columns kept.
	cols := make([]int, ncol)
	for i := range cols {
		cols[i] = i
	}
	if opts.Columns != nil {
		if !header {
			return fail("Columns selects by name but the input has no header row")
		}
		cols = cols[:0]
		for _, want := range opts.Columns {
			found := -1
			for i, n := range names {
				if n == want {
					found = i
					break
				}
			}
			if found < 0 {
				return fail("no column %q (the header has %s)", want, quoteList(names))
			}
			cols = append(cols, found)
		}
	}
	var outNames []string
	if header {
		outNames = make([]string, len(cols))
		for k, c := range cols {
			outNames[k] = names[c]
		}
	}
	var vals32 []float32
	var vals64 []float64
	rows := 0
	add := func(rec []string) error {
		for _, c := range cols {
			v, ok := parseNumber(rec[c], opts.MissingAsNaN)
			if !ok {
				line, col := cr.FieldPos(c)
				name := ""
				if header {
					name = fmt.Sprintf(" (%q)", names[c])
				}
				return fmt.Errorf("data: ReadCSV: line %d, column %d%s: cannot parse %q as a number", line, col, name, strings.TrimSpace(rec[c]))
			}
			if opts.Float64 {
				vals64 = append(vals64, v)
			} else {
				vals32 = append(vals32, float32(v))
			}
		}
		rows++
		return nil
	}
	if !header {
		if err := add(first); err != nil {
			return nil, nil, err
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail("%v", err)
		}
		if err := add(rec); err != nil {
			return nil, nil, err
		}
	}
	if opts.Float64 {
		return tl.FromFloat64s(vals64, rows, len(cols)), outNames, nil
	}
	return tl.FromFloat32s(vals32, rows, len(cols)), outNames, nil
}

// parseNumber parses a CSV field as a float64; missing values are NaN when
// missingAsNaN is set.
func parseNumber(s string, missingAsNaN bool) (float64, bool) {
	s = strings.TrimSpace(s)
	if missingAsNaN {
		switch strings.ToLower(s) {
		case "", "na", "n/a", "null":
			return math.NaN(), true
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return v, true // ±Inf or 0 for out-of-range values, like Python's float()
		}
		return 0, false
	}
	return v, true
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
