#!/usr/bin/env bash
# Regenerates onnx.pb.swift from onnx.proto (ONNX's own schema, copied from the PyPI package
# onnx 1.23.2: site-packages/onnx/onnx.proto). Needs protoc (Debian: protobuf-compiler) and
# protoc-gen-swift built from swift-protobuf at the version Package.swift names:
#   swift build -c release --product protoc-gen-swift --package-path .build/checkouts/swift-protobuf
# then PROTOC_GEN_SWIFT=…/.build/release/protoc-gen-swift Sources/LockstepExport/ONNX/generate.sh
# The generated file is committed, so building Lockstep needs neither tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_out="$here" -I "$here" "$here/onnx.proto"
