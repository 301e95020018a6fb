package zoo

import "math"

// reluMoments returns the mean and mean square of ReLU(z) for z normal with
// the given mean and mean square (the rectified-Gaussian moments). Feature
// maps are not Gaussian, but the estimate is close enough to keep every
// BatchNormalization near unit scale.
func reluMoments(mu, ms float64) (float64, float64) {
	sd := math.Sqrt(max(ms-mu*mu, 1e-12))
	a := mu / sd
	cdf := 0.5 * (1 + math.Erf(a/math.Sqrt2))
	pdf := math.Exp(-a*a/2) / math.Sqrt(2*math.Pi)
	return mu*cdf + sd*pdf, (mu*mu+sd*sd)*cdf + mu*sd*pdf
}
