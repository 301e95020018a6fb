package trace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SampleEnv names an environment variable holding the folder of the Azure
// Functions 2019 sample; SampleDir is where the project keeps it, relative
// to a folder above the working directory (the checkout's parent holds
// shared/ beside the checkout).
const (
	SampleEnv  = "EDGESERVE_AZURE"
	SampleDir  = "shared/traces/azure-functions-2019"
	SampleFile = "invocations-minutes-0001-0720.csv"
)

// ErrNoSample says the Azure sample was not found.
var ErrNoSample = errors.New("trace: azure sample not found")

// FindAzureSample returns the folder of the Azure Functions sample: the
// value of $EDGESERVE_AZURE, else the first SampleDir found in the working
// directory or a folder above it.
func FindAzureSample() (string, error) {
	if dir := os.Getenv(SampleEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("trace: %w", err)
	}
	for {
		cand := filepath.Join(dir, filepath.FromSlash(SampleDir))
		if _, err := os.Stat(filepath.Join(cand, SampleFile)); err == nil {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: set %s or keep %s beside the checkout", ErrNoSample, SampleEnv, SampleDir)
		}
		dir = parent
	}
}
