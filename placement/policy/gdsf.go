package policy

import "time"

// GDSF is Greedy-Dual-Size-Frequency (Cherkasova, "Improving WWW proxies
// performance with Greedy-Dual-Size-Frequency caching policy", HP Labs
// 1998) with the model's load time as the cost of a miss: a resident model
// k has H(k) = L + freq(k) * cost(k) / size(k), set when it is inserted or
// hit; the model with the lowest H is evicted and L inflates to the H of
// the last victim, so models that stop being used age out. freq counts the
// requests since the model became resident, as in the paper.
type GDSF struct {
	t     table
	freq  []int64
	last  []int64
	h     *keyHeap
	inflL float64
}

// NewGDSF returns a GDSF policy over models.
func NewGDSF(models []Entry) (*GDSF, error) {
	t, err := newTable(models)
	if err != nil {
		return nil, err
	}
	n := len(models)
	return &GDSF{t: t, freq: make([]int64, n), last: make([]int64, n), h: newKeyHeap(n)}, nil
}

// Name implements Policy.
func (p *GDSF) Name() string { return "gdsf" }

// OnAccess refreshes a resident model's H.
func (p *GDSF) OnAccess(e Entry, now time.Duration, hit bool) {
	p.last[e.Key] = int64(now)
	if hit && p.h.contains(e.Key) {
		p.freq[e.Key]++
		p.refresh(e.Key)
	}
}

// OnInsert starts e's frequency at one.
func (p *GDSF) OnInsert(e Entry, now time.Duration) {
	p.t.learn(e)
	p.freq[e.Key] = 1
	p.last[e.Key] = int64(now)
	p.refresh(e.Key)
}

// OnRemove forgets k.
func (p *GDSF) OnRemove(k Key) {
	p.h.remove(k)
	p.freq[k] = 0
}

// Victims takes the lowest H first and inflates L to the last one taken.
func (p *GDSF) Victims(need int64, _ time.Duration, evictable func(Key) bool) []Key {
	out := p.h.victims(need, p.t.size, evictable)
	for _, k := range out {
		p.inflL = max(p.inflL, p.h.prio[k])
	}
	return out
}

func (p *GDSF) refresh(k Key) {
	p.h.set(k, p.inflL+float64(p.freq[k])*p.t.costPerByte(k), p.last[k])
}
