package trace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgeserve/edgeserve/internal/shared"
)

// SampleEnv names an environment variable holding the folder of the Azure
// Functions 2019 sample; without it the sample is SampleDir in the
// project's shared data (internal/shared: $EDGESERVE_SHARED, else `shared`
// beside the checkout).
const (
	SampleEnv  = "EDGESERVE_AZURE"
	SampleDir  = "traces/azure-functions-2019"
	SampleFile = "invocations-minutes-0001-0720.csv"
)

// ErrNoSample says the Azure sample was not found.
var ErrNoSample = errors.New("trace: azure sample not found")

// FindAzureSample returns the folder of the Azure Functions sample: the
// value of $EDGESERVE_AZURE, else SampleDir in the shared data. The error
// wraps ErrNoSample and says where it looked.
func FindAzureSample() (string, error) {
	if dir := os.Getenv(SampleEnv); dir != "" {
		return dir, nil
	}
	file, err := shared.File(SampleDir + "/" + SampleFile)
	if err != nil {
		return "", fmt.Errorf("%w (or set %s): %w", ErrNoSample, SampleEnv, err)
	}
	return filepath.Dir(file), nil
}
