package tensorlib

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
)

// Creation sites. In debug mode (SetDebug) and anomaly mode (DetectAnomaly)
// every recorded node keeps the program counters of the forward call stack
// that created it; they are turned into file:line only when asked for
// (Node.Site, Node.Stack), so the cost while recording is one
// runtime.Callers and one small allocation per node. With both modes off
// (the default) nothing is captured.

// stackDepth bounds the frames kept per node: enough to reach the user's
// code through tensorlib's internals and a few layers of modules.
const stackDepth = 24

var (
	debugOn      atomic.Bool
	captureSites atomic.Bool // debugOn || anomalyOn
	siteFunc     atomic.Pointer[func() string]
	pkgPrefix    = reflect.TypeFor[Tensor]().PkgPath() + "."
)

// SetDebug turns recording of each node's creation site (Node.Site,
// Node.Stack) on or off. It is off by default; DetectAnomaly(true) also
// records sites.
func SetDebug(on bool) {
	debugOn.Store(on)
	updateCapture()
}

// IsDebug reports whether SetDebug(true) is in effect.
func IsDebug() bool { return debugOn.Load() }

// SetSiteFunc installs f to name creation sites: while sites are recorded,
// f is called as each node is created, and a non-empty result becomes the
// node's Site instead of the Go caller's file:line. An interpreter (the REPL)
// uses it to report its own input and line numbers ("In[3]:2"), since its
// Go frames are the interpreter's. nil removes it.
func SetSiteFunc(f func() string) {
	if f == nil {
		siteFunc.Store(nil)
		return
	}
	siteFunc.Store(&f)
}

func updateCapture() { captureSites.Store(debugOn.Load() || anomalyOn.Load()) }

// origin is where a node was created: the program counters of the forward
// call stack and the site SetSiteFunc gave, if any.
type origin struct {
	pcs  []uintptr
	site string
}

// captureOrigin records the call stack of the op being recorded (skipping
// captureOrigin and its caller) and the site from SetSiteFunc.
func captureOrigin() *origin {
	var buf [stackDepth]uintptr
	k := runtime.Callers(3, buf[:])
	o := &origin{pcs: append([]uintptr(nil), buf[:k]...)}
	if f := siteFunc.Load(); f != nil {
		o.site = (*f)()
	}
	return o
}

// internalFrame reports whether f is tensorlib's own (non-test) code or the
// Go runtime's.
func internalFrame(f runtime.Frame) bool {
	if strings.HasPrefix(f.Function, "runtime.") {
		return true
	}
	return strings.HasPrefix(f.Function, pkgPrefix) && !strings.HasSuffix(f.File, "_test.go")
}

// siteOf returns the file:line of the first frame of pcs outside tensorlib.
func siteOf(pcs []uintptr) string {
	site, _ := firstCaller(pcs)
	return site
}

// firstCaller returns the file:line of the first frame of pcs outside
// tensorlib, and whether that frame belongs to an interpreter running the
// user's code (reflect's call machinery or yaegi), whose lines mean nothing
// to the user.
func firstCaller(pcs []uintptr) (site string, interpreted bool) {
	if len(pcs) == 0 {
		return "", false
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.PC != 0 && !internalFrame(f) {
			interpreted = strings.HasPrefix(f.Function, "reflect.") || strings.Contains(f.Function, "/yaegi/")
			return fmt.Sprintf("%s:%d", f.File, f.Line), interpreted
		}
		if !more {
			return "", false
		}
	}
}

// stackOf renders the frames of pcs outside tensorlib, innermost first, as
// "file:line function".
func stackOf(pcs []uintptr) []string {
	if len(pcs) == 0 {
		return nil
	}
	var out []string
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.PC != 0 && !internalFrame(f) {
			out = append(out, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Function))
		}
		if !more {
			return out
		}
	}
}
