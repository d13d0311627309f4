package payload

import (
	"errors"
	"io"
	"sync/atomic"
)

// DefaultBudget is the default bound on body bytes buffered at once by
// the whole gateway: a hundred bodies at the 10 MB limit.
const DefaultBudget = 1 << 30

// Budget bounds the request-body bytes the gateway buffers at once,
// across every request: each body is held until its answer is written, so
// without a bound, many clients sending large bodies together could take
// all the memory there is. A request whose body would go over the budget
// is refused with 503 while it is over; it costs nothing afterwards. Safe
// for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes; limit must be positive.
func NewBudget(limit int64) (*Budget, error) {
	if limit <= 0 {
		return nil, errors.New("payload: a body budget must be positive")
	}
	return &Budget{limit: limit}, nil
}

// InUse is the body bytes held now.
func (b *Budget) InUse() int64 { return b.used.Load() }

func (b *Budget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *Budget) release(n int64) { b.used.Add(-n) }

// errOverBudget ends a body read that would take the gateway over its
// budget.
var errOverBudget = errors.New("payload: the gateway's body budget is spent")

// budgetedReader takes what it reads from the budget; the stage gives it
// back when the request is done.
type budgetedReader struct {
	r     io.Reader
	b     *Budget
	taken int64
}

func (br *budgetedReader) Read(p []byte) (int, error) {
	n, err := br.r.Read(p)
	if n > 0 {
		if !br.b.take(int64(n)) {
			return 0, errOverBudget
		}
		br.taken += int64(n)
	}
	return n, err
}
