package trace

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const azureSample = "HashFunction,HashApp,HashOwner,minute_1,minute_2,minute_3\n" +
	"f0,a0,o0,2,0,1\n" +
	"f1,a1,o1,0,0,0\n" +
	"f2,a2,o2,1,3,0\n"

func TestReadAzure(t *testing.T) {
	got, err := ReadAzure(strings.NewReader(azureSample), AzureConfig{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// f1 has no invocations, so it is not a model; names follow rows.
	if want := []string{"fn0000", "fn0002"}; !reflect.DeepEqual(got.Models, want) {
		t.Fatalf("models %v, want %v", got.Models, want)
	}
	// Per minute: minute 0 has 2 of fn0000 and 1 of fn0002, minute 1 has 3
	// of fn0002, minute 2 has 1 of fn0000.
	wantPerMinute := [3][2]int{{2, 1}, {0, 3}, {1, 0}}
	var perMinute [3][2]int
	for i, r := range got.Requests {
		if i > 0 && r.Time < got.Requests[i-1].Time {
			t.Fatalf("request %d out of order", i)
		}
		perMinute[r.Time/time.Minute][r.Model]++
	}
	if perMinute != wantPerMinute {
		t.Fatalf("per-minute counts %v, want %v", perMinute, wantPerMinute)
	}
	again, _ := ReadAzure(strings.NewReader(azureSample), AzureConfig{Seed: 3})
	other, _ := ReadAzure(strings.NewReader(azureSample), AzureConfig{Seed: 4})
	if !reflect.DeepEqual(got, again) {
		t.Fatal("same seed gave a different trace")
	}
	if reflect.DeepEqual(got.Requests, other.Requests) {
		t.Fatal("different seeds gave the same trace")
	}
	short, _ := ReadAzure(strings.NewReader(azureSample), AzureConfig{Seed: 3, Minutes: 1})
	if len(short.Requests) != 3 {
		t.Fatalf("first minute only: %d requests, want 3", len(short.Requests))
	}
}

// TestReadAzureMinuteRange: FirstMinute and Minutes keep a range of the
// file's minutes, by label, with time 0 at the range's start; a file may
// start at any minute (a later part of the day).
func TestReadAzureMinuteRange(t *testing.T) {
	got, err := ReadAzure(strings.NewReader(azureSample), AzureConfig{Seed: 3, FirstMinute: 2, Minutes: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Minute 2 alone: 3 requests of fn0002 (fn0000 has none there).
	if !reflect.DeepEqual(got.Models, []string{"fn0002"}) || len(got.Requests) != 3 || got.Duration() >= time.Minute {
		t.Fatalf("minute 2: models %v, %d requests over %v", got.Models, len(got.Requests), got.Duration())
	}
	rest, err := ReadAzure(strings.NewReader(azureSample), AzureConfig{Seed: 3, FirstMinute: 2})
	if err != nil || len(rest.Requests) != 4 {
		t.Fatalf("minutes 2-3: %v requests, err %v; want 4", len(rest.Requests), err)
	}
	later := "HashFunction,HashApp,HashOwner,minute_721,minute_722\nf0,a0,o0,1,2\n"
	tr, err := ReadAzure(strings.NewReader(later), AzureConfig{Seed: 1, FirstMinute: 722})
	if err != nil || len(tr.Requests) != 2 || tr.Duration() >= time.Minute {
		t.Fatalf("minute 722 of a later file: %+v, err %v", tr, err)
	}
	for _, first := range []int{1, 723} {
		if _, err := ReadAzure(strings.NewReader(later), AzureConfig{FirstMinute: first}); err == nil {
			t.Errorf("first minute %d outside 721-722 accepted", first)
		}
	}
	bad := "HashFunction,HashApp,HashOwner,minute_721,minute_722\nf0,a0,o0,1,x\n"
	if _, err := ReadAzure(strings.NewReader(bad), AzureConfig{}); err == nil || !strings.Contains(err.Error(), "minute_722") {
		t.Fatalf("bad count: err %v, want it to name minute_722", err)
	}
}

func TestReadAzureMalformed(t *testing.T) {
	tests := []struct{ name, in, wantLine string }{
		{"empty", "", "line 1"},
		{"bad header", "Function,HashApp,HashOwner,minute_1\n", "line 1"},
		{"no minutes", "HashFunction,HashApp,HashOwner\n", "line 1"},
		{"minutes skip", "HashFunction,HashApp,HashOwner,minute_1,minute_3\n", "line 1"},
		{"minute zero", "HashFunction,HashApp,HashOwner,minute_0,minute_1\n", "line 1"},
		{"minute padded", "HashFunction,HashApp,HashOwner,minute_05\n", "line 1"},
		{"minute signed", "HashFunction,HashApp,HashOwner,minute_+5\n", "line 1"},
		{"negative count", "HashFunction,HashApp,HashOwner,minute_1\nf,a,o,-1\n", "line 2"},
		{"not a number", "HashFunction,HashApp,HashOwner,minute_1\nf,a,o,1\nf,a,o,x\n", "line 3"},
		{"short row", "HashFunction,HashApp,HashOwner,minute_1,minute_2\nf,a,o,1\n", "line 2"},
		{"too many", "HashFunction,HashApp,HashOwner,minute_1\nf,a,o,2000000000\nf,a,o,2000000000\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadAzure(strings.NewReader(tt.in), AzureConfig{MaxRequests: 1000})
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantLine) {
				t.Fatalf("err = %v, want ErrMalformed naming %s", err, tt.wantLine)
			}
		})
	}
}

// TestReadAzureSharedSample converts the first half hour of the real
// sample when it is present.
func TestReadAzureSharedSample(t *testing.T) {
	dir, err := FindAzureSample()
	if err != nil {
		t.Skip(err)
	}
	f, err := os.Open(filepath.Join(dir, SampleFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ReadAzure(f, AzureConfig{Seed: 1, Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Models) == 0 || len(tr.Models) > 1000 || len(tr.Requests) == 0 || tr.Duration() >= 30*time.Minute {
		t.Fatalf("%d models, %d requests over %v", len(tr.Models), len(tr.Requests), tr.Duration())
	}
}

func FuzzReadAzure(f *testing.F) {
	f.Add(azureSample)
	f.Add("HashFunction,HashApp,HashOwner,minute_1\nf,a,o,0\n")
	f.Add("HashFunction,HashApp,HashOwner,minute_721,minute_722\nf,a,o,3,0\n")
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ReadAzure(strings.NewReader(in), AzureConfig{Seed: 1, MaxRequests: 10_000})
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for i, r := range tr.Requests {
			if int(r.Model) >= len(tr.Models) || (i > 0 && r.Time < tr.Requests[i-1].Time) {
				t.Fatalf("request %d = %+v is inconsistent", i, r)
			}
		}
	})
}
