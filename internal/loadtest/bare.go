package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Bare returns the reference handler of the load script: it answers every
// request with body, as JSON with its Content-Length, and does nothing else.
// It is the ceiling a server of that answer can reach on the machine.
func Bare(body []byte) http.Handler {
	length := []string{strconv.Itoa(len(body))}
	contentType := []string{"application/json"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = contentType
		h["Content-Length"] = length
		w.Write(body)
	})
}

// BareMix returns a reference handler that answers each path (with its
// query, as sent) in bodies with that body, like Bare, and 404 to any other:
// the ceiling of a server sending the same bytes as the one measured.
func BareMix(bodies map[string][]byte) http.Handler {
	type answer struct {
		body   []byte
		length []string
	}
	answers := make(map[string]answer, len(bodies))
	for p, b := range bodies {
		answers[p] = answer{b, []string{strconv.Itoa(len(b))}}
	}
	contentType := []string{"application/json"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.RequestURI]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = contentType
		h["Content-Length"] = a.length
		w.Write(a.body)
	})
}

// maxBodies bounds what ReadBodies accepts.
const maxBodies = 64 << 20

// WriteBodies writes bodies for ReadBodies: per entry a line with the
// lengths of the path and of the body, then both.
func WriteBodies(w io.Writer, bodies map[string][]byte) error {
	bw := bufio.NewWriter(w)
	for p, b := range bodies {
		fmt.Fprintf(bw, "%d %d\n%s", len(p), len(b), p)
		bw.Write(b)
	}
	return bw.Flush()
}

// ReadBodies reads what WriteBodies wrote, at most 64 MiB in all.
func ReadBodies(r io.Reader) (map[string][]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, maxBodies+1))
	out := map[string][]byte{}
	total := 0
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("bodies: %w", err)
		}
		var plen, blen int
		if _, err := fmt.Sscanf(line, "%d %d\n", &plen, &blen); err != nil || plen <= 0 || blen < 0 {
			return nil, fmt.Errorf("bodies: bad entry line %q", line)
		}
		if total += plen + blen; total > maxBodies {
			return nil, fmt.Errorf("bodies: more than %d bytes", maxBodies)
		}
		buf := make([]byte, plen+blen)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("bodies: %w", err)
		}
		out[string(buf[:plen])] = buf[plen:]
	}
}
