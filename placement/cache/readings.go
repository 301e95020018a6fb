package cache

import "slices"

// maxReadings is how many of a model's last measured sizes the cache keeps.
// A runtime measures a load as the process's memory growth across it, so
// another model's runs or frees at the same time can push one reading far
// up or down; the median of the last few is what the model is charged and
// what its next load reserves, so one outlier neither locks it out nor
// lets it in for free.
const maxReadings = 5

// addReading records one measured size of the model and returns its new
// estimate, the (lower) median of the kept readings in each dimension.
func (i *modelInfo) addReading(u usage) usage {
	i.readings = append(i.readings, u)
	if len(i.readings) > maxReadings {
		i.readings = slices.Delete(i.readings, 0, len(i.readings)-maxReadings)
	}
	i.measured, i.wasMeasured = medianUsage(i.readings), true
	return i.measured
}

// medianUsage is the lower median of us in each dimension; us is not empty.
func medianUsage(us []usage) usage {
	host, gpu := make([]int64, len(us)), make([]int64, len(us))
	for k, u := range us {
		host[k], gpu[k] = u.host, u.gpu
	}
	slices.Sort(host)
	slices.Sort(gpu)
	mid := (len(us) - 1) / 2
	return usage{host: host[mid], gpu: gpu[mid]}
}
