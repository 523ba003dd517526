package repl

import (
	"context"
	"fmt"
	"reflect"
	"runtime/pprof"
	"sync"

	"github.com/traefik/yaegi/interp"
)

// The package through which interpreted code talks to the session.
const (
	rtPath  = "gtrepl/rt"
	rtAlias = "__gtrt"
)

// goLabel marks goroutines started by interpreted go statements.
const goLabel = "gtrepl-go"

// runtimeState is the session's side of the runtime package.
type runtimeState struct {
	s        *Session
	captured []any

	mu    sync.Mutex
	types map[reflect.Type]string // interpreted types (and pointers to them) → names
}

func newRuntimeState(s *Session) *runtimeState {
	return &runtimeState{s: s, types: map[reflect.Type]string{}}
}

// exports are the runtime package's symbols.
func (r *runtimeState) exports() interp.Exports {
	return interp.Exports{rtPath + "/rt": {
		// Show captures the values of the input's final expression.
		"Show": reflect.ValueOf(func(v ...any) { r.captured = v }),
		// GoPanic reports a panic recovered in an interpreted goroutine.
		"GoPanic": reflect.ValueOf(func(v any) {
			if v != nil {
				fmt.Fprintf(r.s.opts.Stderr, "panic in goroutine: %s\n", panicMessage(v))
			}
		}),
		// GoStart marks a goroutine started by an interpreted go statement,
		// so an interrupted evaluation does not wait for it.
		"GoStart": reflect.ValueOf(func() {
			pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels(goLabel, "1")))
		}),
		// RegisterType records the runtime type of an interpreted type.
		"RegisterType": reflect.ValueOf(func(name string, ptr any) {
			t := reflect.TypeOf(ptr)
			if t == nil {
				return
			}
			r.mu.Lock()
			r.types[t] = "*" + name
			r.types[t.Elem()] = name
			r.mu.Unlock()
		}),
	}}
}

// typeName returns the name of an interpreted type, or "".
func (r *runtimeState) typeName(t reflect.Type) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.types[t]
}

// globals returns the interpreter's global variables and constants. After a
// failed compile yaegi can hold a symbol whose storage is not allocated yet
// (Globals then panics); running an empty program allocates it.
func (s *Session) globals() (g map[string]reflect.Value) {
	for try := 0; try < 2; try++ {
		ok := func() (ok bool) {
			defer func() {
				if recover() != nil {
					ok = false
				}
			}()
			g = s.in.Globals()
			return true
		}()
		if ok {
			return g
		}
		if prog, err := s.in.Compile("_ = 0"); err == nil {
			_, _ = s.in.Execute(prog)
		}
	}
	return map[string]reflect.Value{}
}
