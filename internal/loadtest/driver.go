package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// Load is what Run sends: the requests, cycled through by every connection
// from its own starting point, over Conns keep-alive connections for Duration.
type Load struct {
	Addr     string            // host:port
	Paths    []string          // paths with queries, e.g. from Mix
	Header   map[string]string // sent with every request
	Conns    int
	Duration time.Duration
	Timeout  time.Duration // for any one answer; 0 means 10s
}

// maxDuration bounds Load.Duration: the driver keeps every latency.
const maxDuration = 10 * time.Minute

// Run drives l and sums up the answers. Each connection sends one request,
// reads the whole answer, then sends the next (no pipelining), so the rate is
// what the server sustains at Conns concurrent requests. It is a small
// HTTP/1.1 client that costs far less than net/http's, leaving the CPU to the
// server. An answer other than 200, a broken connection (reopened) or a
// timeout counts as an error. An error is returned only for a Load that
// cannot run.
func Run(ctx context.Context, l Load) (Summary, error) {
	if l.Conns < 1 || len(l.Paths) == 0 || l.Duration <= 0 || l.Duration > maxDuration {
		return Summary{}, fmt.Errorf("loadtest: want at least 1 connection, 1 path and a duration in (0, %v]; got %d, %d, %v",
			maxDuration, l.Conns, len(l.Paths), l.Duration)
	}
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Second
	}
	reqs := make([][]byte, len(l.Paths))
	for i, p := range l.Paths {
		reqs[i] = requestBytes(l.Addr, p, l.Header)
	}
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()

	type result struct {
		lat      []time.Duration
		errs     int
		firstErr string
	}
	results := make([]result, l.Conns)
	var wg sync.WaitGroup
	start := time.Now()
	end, _ := ctx.Deadline()
	for c := range l.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{addr: l.Addr, timeout: l.Timeout}
			defer w.close()
			res := &results[c]
			for i := c * len(reqs) / l.Conns; ctx.Err() == nil; i++ {
				t0 := time.Now()
				n := i % len(reqs)
				err := w.do(ctx, reqs[n])
				if err != nil && (ctx.Err() != nil || time.Now().After(end)) {
					break // cut off by the end of the run, not the server's fault
				}
				if err != nil {
					res.errs++
					if res.firstErr == "" {
						res.firstErr = l.Paths[n] + ": " + err.Error()
					}
					continue
				}
				res.lat = append(res.lat, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	errs, firstErr := 0, ""
	for _, r := range results {
		all = append(all, r.lat...)
		errs += r.errs
		if firstErr == "" {
			firstErr = r.firstErr
		}
	}
	return summarize(all, errs, firstErr, elapsed), nil
}

// requestBytes is a GET request for path on host, as sent on the wire.
func requestBytes(host, path string, header map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// errStatus is an answer that is not 200.
type errStatus struct{ status int }

func (e *errStatus) Error() string { return fmt.Sprintf("status %d", e.status) }

// worker is one keep-alive connection, reopened when it breaks.
type worker struct {
	addr    string
	timeout time.Duration
	conn    net.Conn
	br      *bufio.Reader
	stop    func() bool
}

func (w *worker) close() {
	if w.conn != nil {
		w.stop()
		w.conn.Close()
		w.conn = nil
	}
}

// do sends req and reads its answer. A transport error closes the connection.
func (w *worker) do(ctx context.Context, req []byte) error {
	if w.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", w.addr)
		if err != nil {
			return err
		}
		w.conn = c
		w.stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) }) // end of run: unblock
		if w.br == nil {
			w.br = bufio.NewReaderSize(c, 64<<10)
		} else {
			w.br.Reset(c)
		}
	}
	w.conn.SetDeadline(time.Now().Add(w.timeout))
	status, keep, err := w.exchange(req)
	if err != nil || !keep {
		w.close()
	}
	if err != nil {
		return err
	}
	if status != 200 {
		return &errStatus{status: status}
	}
	return nil
}

// exchange writes req and reads one answer, discarding its body.
func (w *worker) exchange(req []byte) (status int, keepAlive bool, err error) {
	if _, err := w.conn.Write(req); err != nil {
		return 0, false, err
	}
	status, length, chunked, keepAlive, err := readHead(w.br)
	if err != nil {
		return 0, false, err
	}
	switch {
	case chunked:
		err = discardChunked(w.br)
	case length >= 0:
		_, err = w.br.Discard(length)
	default: // no length: the body runs to the end of the connection
		_, err = io.Copy(io.Discard, w.br)
		keepAlive = false
	}
	return status, keepAlive, err
}

var errMalformed = errors.New("malformed HTTP answer")

// readHead reads a status line and headers. length is -1 when no
// Content-Length was given.
func readHead(br *bufio.Reader) (status, length int, chunked, keepAlive bool, err error) {
	line, err := readLine(br)
	if err != nil {
		return 0, 0, false, false, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, 0, false, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	length, keepAlive = -1, line[7] == '1'
	for {
		line, err := readLine(br)
		if err != nil {
			return 0, 0, false, false, err
		}
		if len(line) == 0 {
			return status, length, chunked, keepAlive, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, false, false, fmt.Errorf("%w: header line %q", errMalformed, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.Atoi(string(value))
			if err != nil || length < 0 {
				return 0, 0, false, false, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keepAlive = false
			}
		}
	}
}

// readLine reads a CRLF-terminated line, without its end.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: a line longer than %d bytes", errMalformed, br.Size())
		}
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// discardChunked reads a chunked body to its end, trailers included.
func discardChunked(br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errMalformed, line)
		}
		if n == 0 {
			for { // trailers, then the blank line
				line, err := readLine(br)
				if err != nil || len(line) == 0 {
					return err
				}
			}
		}
		if _, err := br.Discard(int(n)); err != nil {
			return err
		}
		if line, err := readLine(br); err != nil || len(line) != 0 {
			if err == nil {
				err = fmt.Errorf("%w: no CRLF after a chunk", errMalformed)
			}
			return err
		}
	}
}
