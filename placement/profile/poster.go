package profile

import "time"

// posterRow is one row of the poster's Table I.
type posterRow struct {
	name          string
	hitMs, missMs float64
	sizeMB        float64
}

// posterTable is Table I of Guo, Walls and Ogden, "Poster: EdgeServe:
// Efficient Deep Learning Model Caching at the Edge" (SEC 2019): mean
// inference time on a model hit and on a model miss (ms) and model size
// (MB) of 11 CNNs, measured with TensorFlow on an EC2 p2.xlarge GPU server.
var posterTable = [...]posterRow{
	{"SqueezeNet", 28.6, 173.4, 4.8},
	{"MobileNetV1-0.25", 25.7, 272.8, 1.9},
	{"MobileNetV1-0.5", 26.3, 302.8, 5.2},
	{"DenseNet", 49.6, 1149.0, 43.9},
	{"MobileNetV1-0.75", 28.0, 351.9, 10.5},
	{"MobileNetV1-1.0", 28.2, 421.2, 17.1},
	{"NASNetMobile", 55.3, 2817.2, 21.9},
	{"InceptionResNetV2", 76.3, 2844.3, 121.6},
	{"InceptionV3", 55.8, 1950.7, 95.7},
	{"InceptionV4", 82.8, 3162.2, 171.2},
	{"NASNetLarge", 112.6, 7054.5, 356.6},
}

// Poster returns the poster's Table I as profiles: SizeBytes is the
// published size (1 MB = 10^6 bytes), LoadTime is the miss time minus the
// hit time (what a miss costs beyond the run), RunTime is the hit time.
func Poster() []Model {
	out := make([]Model, len(posterTable))
	for i, r := range posterTable {
		out[i] = Model{
			Name:      r.name,
			SizeBytes: megabytes(r.sizeMB),
			LoadTime:  msDuration(r.missMs - r.hitMs),
			RunTime:   msDuration(r.hitMs),
		}
	}
	return out
}

func msDuration(ms float64) time.Duration {
	d, _ := duration(ms, time.Millisecond)
	return d
}
