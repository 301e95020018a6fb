package trace

import "fmt"

// ForSite returns the requests of the named site as a single-site trace
// (the simulator replays one node at a time). Models keep their numbers,
// so the result has the same models even where the site never asks for
// some of them.
func (t *Trace) ForSite(name string) (*Trace, error) {
	site := int32(-1)
	for i, s := range t.Sites {
		if s == name {
			site = int32(i)
		}
	}
	if site < 0 {
		return nil, fmt.Errorf("trace: no site %q (sites: %v)", name, t.Sites)
	}
	out := &Trace{Models: t.Models}
	for _, r := range t.Requests {
		if r.Site == site {
			out.Requests = append(out.Requests, Request{Time: r.Time, Model: r.Model})
		}
	}
	return out, nil
}
