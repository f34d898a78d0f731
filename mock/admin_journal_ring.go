package mock

// bodyRing holds the response bodies of the journal's entries, oldest to
// newest, in one array used round and round: journaling an answer copies
// its body in and allocates nothing, and an evicted entry's bytes are
// written over by the next ones. A body may wrap around the end of the
// array. The array grows (journal.ringSize) only as the journal's budget
// allows.
// The journal's lock guards it.
type bodyRing struct {
	buf  []byte
	head int // where the next body starts
	used int // bytes of the bodies held: they end at head
}

// minRing is the array a ring starts with.
const minRing = 64 << 10

// free is how many bytes can be written without evicting a body.
func (r *bodyRing) free() int { return len(r.buf) - r.used }

// write appends the parts, one body, and returns where it starts. The caller
// has made room (free ≥ their length).
func (r *bodyRing) write(parts ...[]byte) int {
	off := r.head
	for _, p := range parts {
		for len(p) > 0 {
			n := copy(r.buf[r.head:], p)
			p = p[n:]
			r.head = (r.head + n) % len(r.buf)
			r.used += n
		}
	}
	return off
}

// drop forgets the oldest n bytes (the oldest body's).
func (r *bodyRing) drop(n int) {
	r.used -= n
	if r.used == 0 {
		r.head = 0
	}
}

// read appends to dst the n bytes at off.
func (r *bodyRing) read(dst []byte, off, n int) []byte {
	for n > 0 {
		k := min(n, len(r.buf)-off)
		dst = append(dst, r.buf[off:off+k]...)
		off, n = 0, n-k
	}
	return dst
}

// grow makes the array size bytes, keeping the bodies held at its start;
// newOffset tells where a body that started at off starts now.
func (r *bodyRing) grow(size int) (newOffset func(off int) int) {
	buf := make([]byte, size)
	tail := (r.head - r.used + len(r.buf)) % max(len(r.buf), 1)
	if r.used > 0 {
		r.read(buf[:0], tail, r.used)
	}
	oldLen := len(r.buf)
	r.buf, r.head = buf, r.used
	return func(off int) int { return (off - tail + oldLen) % max(oldLen, 1) }
}
