#!/bin/sh
# Regenerates Sources/NetworkFormats/Generated/onnx.pb.swift from scripts/onnx/onnx.proto3.
#
# The schema is the ONNX project's onnx.proto3 (Apache-2.0), produced by ONNX's own
# gen_proto.py from onnx.in.proto of onnx 1.23.2 (IR version 14, opset 28); see
# docs/format.md for how it was obtained. Needs protoc (Debian: protobuf-compiler) and
# protoc-gen-swift of the same swift-protobuf version the package resolves (1.39.0):
#
#   git clone https://github.com/apple/swift-protobuf.git /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/generate-onnx-swift.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
plugin=${PROTOC_GEN_SWIFT:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}
[ -x "$plugin" ] || { echo "protoc-gen-swift not found at $plugin (set PROTOC_GEN_SWIFT)" >&2; exit 1; }
command -v protoc >/dev/null || { echo "protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# protoc-gen-swift names its output after the input file, so give it the usual extension.
cp "$root/scripts/onnx/onnx.proto3" "$work/onnx.proto"
mkdir -p "$work/out"
protoc --plugin=protoc-gen-swift="$plugin" \
    --swift_opt=Visibility=Internal \
    --swift_out="$work/out" -I "$work" "$work/onnx.proto"
mkdir -p "$root/Sources/NetworkFormats/Generated"
cp "$work/out/onnx.pb.swift" "$root/Sources/NetworkFormats/Generated/onnx.pb.swift"
echo "wrote Sources/NetworkFormats/Generated/onnx.pb.swift"
