package sim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// The RTT matrix file: CSV, lines starting with '#' ignored. A header
// "site,region,S1,S2,...,Sn" names the n sites in order; then one line per
// site, in the same order: "Si,REGION,ms1,...,msn", where msj is the
// round trip from a node of Si to one of Sj in milliseconds (a decimal
// number from 0 to 1e6) and msi is the round trip between two nodes of
// Si. Regions are named by their sites' lines and numbered in order of
// first appearance. At most MaxMatrixSites sites.

// MaxMatrixSites bounds the sites of an RTT matrix file.
const MaxMatrixSites = 4096

const maxMatrixMs = 1e6

// ReadRTTMatrix decodes an RTT matrix file into a topology of
// nodesPerSite nodes per site, clients clientRTT from their site's nodes.
// Errors wrap ErrTopology.
func ReadRTTMatrix(r io.Reader, nodesPerSite int, clientRTT time.Duration) (*Topology, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: matrix header: %w", ErrTopology, err)
	}
	if len(header) < 3 || header[0] != "site" || header[1] != "region" {
		return nil, fmt.Errorf("%w: matrix header %q: want site,region,<site names>", ErrTopology, header)
	}
	names := append([]string(nil), header[2:]...)
	if len(names) > MaxMatrixSites {
		return nil, fmt.Errorf("%w: %d sites (at most %d)", ErrTopology, len(names), MaxMatrixSites)
	}
	if err := distinct(names); err != nil {
		return nil, err
	}
	t := &Topology{NodesPerSite: nodesPerSite, ClientRTT: clientRTT}
	regions := map[string]int{}
	for i, name := range names {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: matrix has %d rows for %d sites", ErrTopology, i, len(names))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: matrix: %w", ErrTopology, err)
		}
		row, region, err := matrixRow(rec, name, len(names))
		if err != nil {
			return nil, err
		}
		if _, ok := regions[region]; !ok {
			regions[region] = len(t.Regions)
			t.Regions = append(t.Regions, region)
		}
		t.Sites = append(t.Sites, Site{Name: name, Region: regions[region]})
		t.RTT = append(t.RTT, row)
	}
	if _, err := cr.Read(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: matrix has more rows than its %d sites", ErrTopology, len(names))
	}
	return t, t.Validate()
}

// matrixRow decodes one site's line.
func matrixRow(rec []string, name string, n int) ([]time.Duration, string, error) {
	if len(rec) != n+2 {
		return nil, "", fmt.Errorf("%w: row %q has %d fields, want %d", ErrTopology, rec[0], len(rec), n+2)
	}
	if rec[0] != name {
		return nil, "", fmt.Errorf("%w: row %q where the header puts %q", ErrTopology, rec[0], name)
	}
	if rec[1] == "" {
		return nil, "", fmt.Errorf("%w: site %q has no region", ErrTopology, name)
	}
	row := make([]time.Duration, n)
	for j, f := range rec[2:] {
		ms, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(ms) || ms < 0 || ms > maxMatrixMs {
			return nil, "", fmt.Errorf("%w: round trip %q from %s: want milliseconds from 0 to %g", ErrTopology, f, name, maxMatrixMs)
		}
		row[j] = time.Duration(ms * float64(time.Millisecond))
	}
	return row, rec[1], nil
}

func distinct(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || seen[n] {
			return fmt.Errorf("%w: site name %q empty or repeated", ErrTopology, n)
		}
		seen[n] = true
	}
	return nil
}
