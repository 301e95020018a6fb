#!/usr/bin/env bash
# Fetches the official ONNX Runtime CPU build for Linux x86-64 from the npm
# package onnxruntime-node (which ships the unmodified shared library) and
# verifies it against a pinned sha256. Idempotent: a verified library that is
# already in place is kept.
#
# Usage: deploy/fetch-onnxruntime.sh DEST_DIR
set -euo pipefail

ORT_VERSION=1.30.0
LIB_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
TGZ_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75

dest=${1:?usage: $0 DEST_DIR}
lib="$dest/libonnxruntime.so.1"

if [ "$(uname -m)" != "x86_64" ]; then
	echo "fetch-onnxruntime: only linux x86_64 is pinned; set EDGESERVE_ORT_LIB to your own build" >&2
	exit 1
fi
if [ -f "$lib" ] && echo "$LIB_SHA256  $lib" | sha256sum -c --quiet - 2>/dev/null; then
	exit 0
fi
command -v npm >/dev/null || { echo "fetch-onnxruntime: npm is required (apt-get install npm)" >&2; exit 1; }

mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-onnxruntime: downloading onnxruntime-node@$ORT_VERSION (about 110 MB)"
(cd "$work" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
tgz="$work/onnxruntime-node-$ORT_VERSION.tgz"
echo "$TGZ_SHA256  $tgz" | sha256sum -c --quiet - || { echo "fetch-onnxruntime: package checksum mismatch" >&2; exit 1; }
tar -xzf "$tgz" -C "$work" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
echo "$LIB_SHA256  $work/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum -c --quiet - \
	|| { echo "fetch-onnxruntime: library checksum mismatch" >&2; exit 1; }
install -m 0644 "$work/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "fetch-onnxruntime: ONNX Runtime $ORT_VERSION installed at $lib"
