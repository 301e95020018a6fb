package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	adminpb "github.com/edgeserve/edgeserve/proto/admin/v1"
)

// TestClusterViewShowsLoadsInProgress: a member's models being loaded
// appear in the table, marked, and in the JSON as their own list.
func TestClusterViewShowsLoadsInProgress(t *testing.T) {
	st := &adminpb.ClusterStatusResponse{Enabled: true, Node: "eu-1", Members: []*adminpb.ClusterMember{
		{Name: "eu-1", Self: true, Health: "alive", StateKnown: true, Loaded: []string{"resnet:1"}, Loading: []string{"bert:2"}},
		{Name: "eu-2", Health: "alive", StateKnown: true},
	}}
	var table bytes.Buffer
	if err := writeClusterTable(&table, st); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table.String(), "\n")
	if len(lines) < 4 || !strings.Contains(lines[2], "resnet:1,bert:2 (loading)") || !strings.Contains(lines[3], "(none)") {
		t.Fatalf("table:\n%s\nwant eu-1's loaded and loading models, eu-2 with none", table.String())
	}
	var out bytes.Buffer
	if err := writeClusterJSON(&out, st); err != nil {
		t.Fatal(err)
	}
	var got clusterJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Members) != 2 || len(got.Members[0].Loading) != 1 || got.Members[0].Loading[0] != "bert:2" || got.Members[1].Loading == nil {
		t.Fatalf("members %+v: want eu-1 loading bert:2 and eu-2 an empty list", got.Members)
	}
}
