package trace

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReadCSV(t *testing.T) {
	in := "time_ms,model,site\n0,resnet,edge-a\n1.5,vgg,edge-b\n1.5,resnet,edge-a\n60000.000001,\"a,b\",edge-a\n"
	got, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Trace{
		Models: []string{"resnet", "vgg", "a,b"},
		Sites:  []string{"edge-a", "edge-b"},
		Requests: []Request{
			{Time: 0, Model: 0, Site: 0},
			{Time: 1500 * time.Microsecond, Model: 1, Site: 1},
			{Time: 1500 * time.Microsecond, Model: 0, Site: 0},
			{Time: time.Minute + time.Nanosecond, Model: 2, Site: 0},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestReadCSVMalformed(t *testing.T) {
	tests := []struct{ name, in, wantLine string }{
		{"empty", "", "line 1"},
		{"wrong header", "t,model\n", "line 1"},
		{"header extra column", "time_ms,model,site,x\n", "line 1"},
		{"too few fields", "time_ms,model\n1,a\n2\n", "line 3"},
		{"too many fields", "time_ms,model\n1,a,b\n", "line 2"},
		{"negative time", "time_ms,model\n-1,a\n", "line 2"},
		{"exponent", "time_ms,model\n1e3,a\n", "line 2"},
		{"nan", "time_ms,model\nNaN,a\n", "line 2"},
		{"trailing dot", "time_ms,model\n1.,a\n", "line 2"},
		{"leading dot", "time_ms,model\n.5,a\n", "line 2"},
		{"sub-nanosecond", "time_ms,model\n1.0000001,a\n", "line 2"},
		{"overflow", "time_ms,model\n99999999999999999999,a\n", "line 2"},
		{"out of order", "time_ms,model\n5,a\n6,a\n4,b\n", "line 4"},
		{"empty model", "time_ms,model\n5,\n", "line 2"},
		{"empty site", "time_ms,model,site\n5,a,\n", "line 2"},
		{"bare quote", "time_ms,model\n5,a\"b\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantLine) {
				t.Fatalf("err %q does not name %s", err, tt.wantLine)
			}
		})
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	tests := []*Trace{
		{Models: []string{"x"}},
		{Models: []string{"a", "b \"quoted\""}, Requests: []Request{{Time: 0, Model: 1}, {Time: 7*time.Millisecond + 10*time.Microsecond, Model: 0}}},
		{Models: []string{"a"}, Sites: []string{"s0", "s,1"}, Requests: []Request{{Time: time.Hour, Model: 0, Site: 1}, {Time: time.Hour + 1, Model: 0}}},
	}
	for i, tr := range tests {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, tr); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := ReadCSV(&buf)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		// Model names come back in order of first use.
		if len(got.Requests) != len(tr.Requests) {
			t.Fatalf("%d: %d requests, want %d", i, len(got.Requests), len(tr.Requests))
		}
		for j, r := range got.Requests {
			w := tr.Requests[j]
			if r.Time != w.Time || got.Models[r.Model] != tr.Models[w.Model] || (len(tr.Sites) > 0 && got.Sites[r.Site] != tr.Sites[w.Site]) {
				t.Fatalf("%d: request %d = %+v, want %+v", i, j, r, w)
			}
		}
	}
}

func TestWriteCSVRejectsInvalid(t *testing.T) {
	tests := map[string]*Trace{
		"out of order":  {Models: []string{"a"}, Requests: []Request{{Time: 2}, {Time: 1}}},
		"unknown model": {Models: []string{"a"}, Requests: []Request{{Model: 1}}},
		"unknown site":  {Models: []string{"a"}, Requests: []Request{{Site: 1}}},
	}
	for name, tr := range tests {
		t.Run(name, func(t *testing.T) {
			if err := WriteCSV(&bytes.Buffer{}, tr); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestMillis(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 999_999, time.Millisecond, 1234567891, 12 * time.Hour} {
		s := string(appendMillis(nil, d))
		got, err := parseMillis(s)
		if err != nil || got != d {
			t.Errorf("%v -> %q -> %v, %v", d, s, got, err)
		}
	}
	if s := string(appendMillis(nil, 1500*time.Microsecond)); s != "1.5" {
		t.Errorf("1.5ms written as %q", s)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("time_ms,model\n0,a\n1.25,b\n")
	f.Add("time_ms,model,site\n0,a,s\n0,\"x\ny\",s\n")
	f.Add("time_ms,model\n3,a\n2,a\n")
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, tr); err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
		again, err := ReadCSV(&buf)
		if err != nil {
			t.Fatalf("cannot read what was written: %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(tr, again) {
			t.Fatalf("round trip changed the trace:\n%+v\n%+v", tr, again)
		}
	})
}
