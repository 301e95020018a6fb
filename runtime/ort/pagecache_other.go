//go:build !linux

package ort

import "errors"

// mapPopulate is Linux's; elsewhere pages are mapped as they are touched.
const mapPopulate = 0

// PageCacheBytes is not measured off Linux.
func PageCacheBytes(string) (int64, error) {
	return 0, errors.New("ort: page cache residency is measured on Linux only")
}

func dropPageCache(string) error { return errors.New("ort: cannot drop the page cache off Linux") }

// PageCachedShare is not measured off Linux.
func PageCachedShare(string) (float64, error) {
	return 0, errors.New("ort: page cache residency is measured on Linux only")
}
