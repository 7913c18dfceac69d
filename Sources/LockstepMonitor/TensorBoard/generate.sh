#!/usr/bin/env bash
# Regenerates event.pb.swift from event.proto. Needs protoc (Debian: protobuf-compiler) and
# protoc-gen-swift built from swift-protobuf at the version Package.swift names:
#   git clone https://github.com/apple/swift-protobuf && cd swift-protobuf && git checkout 1.39.0
#   swift build -c release --product protoc-gen-swift
# then PROTOC_GEN_SWIFT=…/.build/release/protoc-gen-swift Sources/LockstepMonitor/TensorBoard/generate.sh
# The generated file is committed, so building Lockstep needs neither tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_out="$here" -I "$here" "$here/event.proto"
