package mock

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJournalRing adds entries with bodies of every size (empty, split in
// parts, wrapping round the ring's end, as large as an entry keeps) to
// journals of several budgets and counts, and checks after each add that
// every entry held reads back its own body, that the oldest are the ones
// evicted, and that the ring and the entries stay within the budget.
func TestJournalRing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		size   int
		budget int64
	}{{1000, 256 << 10}, {1000, 1 << 20}, {7, 64 << 20}, {1, 256 << 10}, {100000, 300 << 10}} {
		t.Run(fmt.Sprintf("size %d, budget %d", c.size, c.budget), func(t *testing.T) {
			t.Parallel()
			j := newJournal(c.size, c.budget)
			r := rand.New(rand.NewSource(c.budget + int64(c.size)))
			want := map[uint64][]byte{}
			grown := 0
			for i := range 3000 {
				var n int
				switch r.Intn(10) {
				case 0:
					n = 0
				case 1:
					n = maxJournalBody
				default:
					n = r.Intn(16 << 10)
				}
				body := make([]byte, n)
				r.Read(body)
				cut := r.Intn(n + 1)
				e := &journalEntry{URL: fmt.Sprint("/", i)}
				j.add(e, body[:cut], body[cut:])
				want[e.ID] = body

				j.mu.Lock()
				entries := append([]*journalEntry(nil), j.entries...)
				held, ring, used := j.bytes, len(j.ring.buf), j.ring.used
				j.mu.Unlock()
				require.Equal(t, e, entries[len(entries)-1], "the newest is held")
				sum := 0
				for k, o := range entries {
					if k > 0 {
						require.Equal(t, entries[k-1].ID+1, o.ID, "the oldest are evicted first")
					}
					sum += o.bodyLen
				}
				require.Equal(t, sum, used, "the ring holds the bodies of the entries held, no more")
				require.LessOrEqual(t, len(entries), c.size)
				if len(entries) > 1 {
					require.LessOrEqual(t, held+int64(ring), c.budget, "entries and ring within the budget: held %d ring %d entries %d", held, ring, len(entries))
				}
				if i%97 == 0 || i > 2990 || ring != grown { // and every time the ring has grown
					grown = ring
					for _, o := range entries {
						got, ok := o.body()
						require.True(t, ok)
						require.True(t, bytes.Equal(want[o.ID], got), "entry %d of add %d", o.ID, i)
					}
				}
			}
			oldest := &journalEntry{ID: 1, j: j}
			_, ok := oldest.body()
			assert.False(t, ok, "an evicted entry's body is gone, not someone else's")
			j.clear()
			_, ok = (&journalEntry{ID: j.seq, j: j}).body()
			assert.False(t, ok, "nor after a clear")
		})
	}
}

// TestJournalAddAllocatesNoBody: once the ring has grown, journaling an
// answer copies its body into it and allocates nothing for it.
func TestJournalAddAllocatesNoBody(t *testing.T) {
	j := newJournal(1000, DefaultJournalBytes)
	body := bytes.Repeat([]byte("x"), 15<<10)
	entries := make([]journalEntry, 3000)
	for i := range 1000 {
		j.add(&entries[i], body) // fills the journal: its slice and ring are grown
	}
	i := 1000
	allocs := testing.AllocsPerRun(1000, func() {
		j.add(&entries[i], body)
		i++
	})
	assert.Zero(t, allocs)
}
