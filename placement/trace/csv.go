package trace

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"
)

// The CSV trace format: a header line "time_ms,model" or
// "time_ms,model,site", then one request per line. time_ms is a
// non-negative decimal number of milliseconds from the start of the trace
// (at most 6 fractional digits, so exact to the nanosecond); model and
// site are non-empty names. Times must be non-decreasing: ReadCSV rejects
// an out-of-order line instead of sorting, because a trace's order is part
// of what it records and a shuffled file is more likely a mistake than an
// intent. Model and site numbers follow first appearance.

// ReadCSV decodes a CSV trace. Errors wrap ErrMalformed and name the line.
func ReadCSV(r io.Reader) (*Trace, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, malformed(1, "missing header: %v", err)
	}
	withSite, err := checkHeader(header)
	if err != nil {
		return nil, err
	}
	d := newDecoder(withSite)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return d.t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		line, _ := cr.FieldPos(0)
		if err := d.add(rec, line); err != nil {
			return nil, err
		}
	}
}

func checkHeader(h []string) (withSite bool, err error) {
	switch {
	case len(h) == 2 && h[0] == "time_ms" && h[1] == "model":
		return false, nil
	case len(h) == 3 && h[0] == "time_ms" && h[1] == "model" && h[2] == "site":
		return true, nil
	}
	return false, malformed(1, "header is %q, want \"time_ms,model\" or \"time_ms,model,site\"", h)
}

// decoder interns names and checks order while requests are appended.
type decoder struct {
	t        *Trace
	models   map[string]int32
	sites    map[string]int32
	withSite bool
}

func newDecoder(withSite bool) *decoder {
	return &decoder{t: &Trace{}, models: map[string]int32{}, sites: map[string]int32{}, withSite: withSite}
}

func (d *decoder) add(rec []string, line int) error {
	at, err := parseMillis(rec[0])
	if err != nil {
		return malformed(line, "time_ms %q: %v", rec[0], err)
	}
	if n := len(d.t.Requests); n > 0 && at < d.t.Requests[n-1].Time {
		return malformed(line, "time_ms %s is before the previous line's (times must not decrease)", rec[0])
	}
	req := Request{Time: at}
	if req.Model, err = intern(rec[1], d.models, &d.t.Models); err != nil {
		return malformed(line, "model: %v", err)
	}
	if d.withSite {
		if req.Site, err = intern(rec[2], d.sites, &d.t.Sites); err != nil {
			return malformed(line, "site: %v", err)
		}
	}
	d.t.Requests = append(d.t.Requests, req)
	return nil
}

func intern(name string, ids map[string]int32, names *[]string) (int32, error) {
	if name == "" {
		return 0, errors.New("empty name")
	}
	if id, ok := ids[name]; ok {
		return id, nil
	}
	id := int32(len(*names))
	ids[name] = id
	*names = append(*names, name)
	return id, nil
}

func malformed(line int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrMalformed, line, fmt.Sprintf(format, args...))
}

// WriteCSV encodes t in the CSV trace format, with a site column when t
// names its sites.
func WriteCSV(w io.Writer, t *Trace) error {
	cw := csv.NewWriter(w)
	withSite := len(t.Sites) > 0
	header := []string{"time_ms", "model"}
	if withSite {
		header = append(header, "site")
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("trace: write csv: %w", err)
	}
	var buf []byte
	rec := make([]string, len(header))
	for i, r := range t.Requests {
		if err := checkRequest(t, i, r, withSite); err != nil {
			return err
		}
		buf = appendMillis(buf[:0], r.Time)
		rec[0], rec[1] = string(buf), t.Models[r.Model]
		if withSite {
			rec[2] = t.Sites[r.Site]
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("trace: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("trace: write csv: %w", err)
	}
	return nil
}

// ErrInvalid is returned (wrapped) when a Trace cannot be written because
// it is inconsistent.
var ErrInvalid = errors.New("trace: invalid trace")

func checkRequest(t *Trace, i int, r Request, withSite bool) error {
	switch {
	case r.Time < 0 || (i > 0 && r.Time < t.Requests[i-1].Time):
		return fmt.Errorf("%w: request %d at %v is out of order", ErrInvalid, i, r.Time)
	case r.Model < 0 || int(r.Model) >= len(t.Models) || t.Models[r.Model] == "":
		return fmt.Errorf("%w: request %d names model %d of %d", ErrInvalid, i, r.Model, len(t.Models))
	case withSite && (r.Site < 0 || int(r.Site) >= len(t.Sites) || t.Sites[r.Site] == ""):
		return fmt.Errorf("%w: request %d names site %d of %d", ErrInvalid, i, r.Site, len(t.Sites))
	case !withSite && r.Site != 0:
		return fmt.Errorf("%w: request %d names site %d but the trace has no sites", ErrInvalid, i, r.Site)
	}
	return nil
}

// Duration is the time of the last request (0 for an empty trace).
func (t *Trace) Duration() time.Duration {
	if len(t.Requests) == 0 {
		return 0
	}
	return t.Requests[len(t.Requests)-1].Time
}
