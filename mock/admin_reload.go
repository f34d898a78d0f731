package mock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
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
// loaded. A version that does not load (a half-saved file, a mistake) keeps
// the old fixtures; the error is logged and shown until a good version loads.
func (srv *Server) Watch(ctx context.Context, path string, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	srv.reloads.mu.Lock()
	srv.reloads.watching = path
	srv.reloads.mu.Unlock()
	log := srv.log

	var (
		mod  time.Time
		size int64 = -1
		sum  [sha256.Size]byte
	)
	poll := func(initial bool) {
		fi, err := os.Stat(path)
		if err != nil {
			if !initial {
				srv.reloads.failed(err)
			}
			size = -1
			return
		}
		if fi.ModTime().Equal(mod) && fi.Size() == size {
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			srv.reloads.failed(err)
			return
		}
		mod, size = fi.ModTime(), fi.Size()
		s := sha256.Sum256(data)
		if bytes.Equal(s[:], sum[:]) {
			return
		}
		sum = s
		if initial {
			return
		}
		fx, err := fixtures.Parse(path, data)
		if err == nil {
			err = srv.Reload(fx)
		} else {
			srv.reloads.failed(err)
		}
		if err != nil {
			log.ErrorContext(ctx, "fixtures not reloaded, the previous ones stay", "file", path, "err", err)
			return
		}
		log.InfoContext(ctx, "fixtures reloaded", "file", path)
	}
	poll(true)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			poll(false)
		}
	}
}
