package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// maxConfigFileBytes bounds a config file; a node's settings fit in a few KiB.
const maxConfigFileBytes = 1 << 20

// LoadConfigFile reads a YAML config file over base: keys present in the
// file replace base's values, absent keys keep them. An unknown key is an
// error that names it and its line, so a misspelt setting is never
// silently ignored. The result is not validated; New does that.
func LoadConfigFile(path string, base Config) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return base, fmt.Errorf("node: config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFileBytes+1))
	if err != nil {
		return base, fmt.Errorf("node: config file %s: %w", path, err)
	}
	cfg, err := ParseConfig(data, base)
	if err != nil {
		return base, fmt.Errorf("%w (in %s)", err, path)
	}
	return cfg, nil
}

// ParseConfig decodes a YAML config document over base; see LoadConfigFile.
func ParseConfig(data []byte, base Config) (Config, error) {
	if len(data) > maxConfigFileBytes {
		return base, fmt.Errorf("node: config file: larger than %d bytes", maxConfigFileBytes)
	}
	cfg := base
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return base, fmt.Errorf("node: config file: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return base, errors.New("node: config file: more than one YAML document")
	}
	return cfg, nil
}
