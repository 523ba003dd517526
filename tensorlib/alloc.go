package tensorlib

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
)

// checkAlloc panics with *Error when a tensor of the given dtype and shape
// cannot be allocated: its size overflows, or it exceeds the machine's
// memory (RAM plus swap). Go's runtime would otherwise abort the whole
// process with "out of memory", which no recover can catch.
func checkAlloc(dtype DType, shape []int) {
	n := 1
	for _, s := range shape {
		if s != 0 && n > math.MaxInt/s {
			failShapes("New", [][]int{shape}, "can't allocate memory: the number of elements overflows")
		}
		n *= s
	}
	size := dtype.ItemSize()
	if size > 0 && n > math.MaxInt/size {
		failShapes("New", [][]int{shape}, "can't allocate memory: the size in bytes overflows")
	}
	if limit := memoryLimit(); limit > 0 && uint64(n)*uint64(size) > limit {
		failShapes("New", [][]int{shape}, "can't allocate memory: you tried to allocate %d bytes (the machine has %d bytes of memory and swap)", n*size, limit)
	}
}

// memoryLimit returns MemTotal + SwapTotal from /proc/meminfo in bytes, 0
// when unknown.
var memoryLimit = sync.OnceValue(func() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	var total uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && (fields[0] == "MemTotal:" || fields[0] == "SwapTotal:") {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err == nil {
				total += kb * 1024
			}
		}
	}
	return total
})
