package mock

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/bkjob-mock/bkjob-mock/fixtures"
)

// reloadLog remembers how reloads went, for GET /__mock/config and the page.
type reloadLog struct {
	mu       sync.Mutex
	watching string
	count    int
	lastOK   time.Time
	err      string
	errAt    time.Time
}

// reloadView is the reload state as the admin API shows it.
type reloadView struct {
	Watching   string     `json:"watching,omitempty"`
	Reloads    int        `json:"reloads"`
	LastReload *time.Time `json:"last_reload,omitempty"`
	Error      string     `json:"error,omitempty"` // the last failed reload, until one succeeds
	ErrorAt    *time.Time `json:"error_at,omitempty"`
}

func (l *reloadLog) succeeded() {
	l.mu.Lock()
	l.count++
	l.lastOK, l.err, l.errAt = time.Now(), "", time.Time{}
	l.mu.Unlock()
}

func (l *reloadLog) failed(err error) {
	l.mu.Lock()
	l.err, l.errAt = err.Error(), time.Now()
	l.mu.Unlock()
}

// cleared forgets the last error: the file that serves is back.
func (l *reloadLog) cleared() {
	l.mu.Lock()
	l.err, l.errAt = "", time.Time{}
	l.mu.Unlock()
}

func (l *reloadLog) view() reloadView {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := reloadView{Watching: l.watching, Reloads: l.count, Error: l.err}
	if !l.lastOK.IsZero() {
		t := l.lastOK
		v.LastReload = &t
	}
	if !l.errAt.IsZero() {
		t := l.errAt
		v.ErrorAt = &t
	}
	return v
}

// Reload replaces the fixtures the mock serves, atomically: each request
// sees either the old fixtures or the new ones, whole, with the history and
// scenario rules made from them. The journal and the scenarios switched on
// through the admin API stay. On error nothing changes and the error is shown
// on GET /__mock/config and the admin page until a reload succeeds.
func (srv *Server) Reload(fx *fixtures.Fixtures) error {
	if fx == nil {
		err := errors.New("mock: Reload: no fixtures")
		srv.reloads.failed(err)
		return err
	}
	g, err := srv.generation(fx)
	if err != nil {
		srv.reloads.failed(err)
		return err
	}
	srv.gen.Store(g)
	srv.reloads.succeeded()
	return nil
}

// DefaultWatchInterval is how often Watch looks at the fixtures file.
const DefaultWatchInterval = 500 * time.Millisecond

// Watch reloads the fixtures file at path whenever it changes, until ctx
// ends. It polls every interval (0 means DefaultWatchInterval): a change of
// modification time or size makes it read the file, and a change of content
// (SHA-256) makes it reload. The file as it is when Watch starts counts as
// loaded; GET /__mock/config names the file under "watching" only once that
// first version is read. A version that does not load (a half-saved file, a
// mistake), a file that is gone or is not a regular file keeps the old
// fixtures: each is logged once and shown until the file is good again (the
// same content back clears the error without a reload).
func (srv *Server) Watch(ctx context.Context, path string, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	w := &watcher{srv: srv, path: path, size: -1}
	w.poll(ctx, true)
	srv.reloads.mu.Lock()
	srv.reloads.watching = path
	srv.reloads.mu.Unlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll(ctx, false)
		}
	}
}

// watcher is the state of one Watch: what the file looked like last.
type watcher struct {
	srv     *Server
	path    string
	mod     time.Time
	size    int64 // -1: not read yet, or gone
	sum     [sha256.Size]byte
	problem string // the problem last reported, so each is logged once
	loadErr error  // why the content in sum did not load; nil when it serves
}

// poll looks at the file once. The initial poll only remembers it.
func (w *watcher) poll(ctx context.Context, initial bool) {
	fi, err := os.Stat(w.path)
	switch {
	case err != nil:
		w.size = -1
		w.fail(ctx, fmt.Errorf("fixtures file %s: %w", w.path, err), initial)
		return
	case !fi.Mode().IsRegular():
		w.size = -1
		w.fail(ctx, fmt.Errorf("fixtures file %s is not a regular file (%s)", w.path, fi.Mode().Type()), initial)
		return
	}
	if fi.ModTime().Equal(w.mod) && fi.Size() == w.size {
		return
	}
	data, err := fixtures.ReadFile(w.path) // at most fixtures.MaxFileBytes
	if err != nil {
		w.fail(ctx, err, initial)
		return
	}
	w.mod, w.size = fi.ModTime(), fi.Size()
	sum := sha256.Sum256(data)
	if initial {
		w.sum = sum
		return
	}
	if sum == w.sum { // the version last read is back (after a delete, a touch)
		switch {
		case w.loadErr != nil:
			w.fail(ctx, w.loadErr, false)
		case w.problem != "":
			w.problem = ""
			w.srv.reloads.cleared()
			w.srv.log.InfoContext(ctx, "fixtures file is back as loaded; nothing to reload", "file", w.path)
		}
		return
	}
	w.sum = sum
	fx, err := fixtures.Parse(w.path, data)
	if err == nil {
		err = w.srv.Reload(fx)
	} else {
		w.srv.reloads.failed(err)
	}
	w.loadErr = err
	if err != nil {
		w.problem = err.Error()
		w.srv.log.ErrorContext(ctx, "fixtures not reloaded, the previous ones stay", "file", w.path, "err", err)
		return
	}
	w.problem = ""
	w.srv.log.InfoContext(ctx, "fixtures reloaded", "file", w.path)
}

// fail reports a problem with the file once, until another one or a good
// version replaces it.
func (w *watcher) fail(ctx context.Context, err error, initial bool) {
	if initial || err.Error() == w.problem {
		return
	}
	w.problem = err.Error()
	w.srv.reloads.failed(err)
	w.srv.log.ErrorContext(ctx, "fixtures file unusable, the previous fixtures stay", "file", w.path, "err", err)
}
