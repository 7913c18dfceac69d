// swift-tools-version:6.0
// A program of its own, as a user's would be: a Swift package that depends on Lockstep by path.
// Build: swift build -c release (in this directory). Run: see Sources/custom-loop/main.swift.
import PackageDescription

let package = Package(
    name: "custom-loop",
    dependencies: [
        .package(name: "Lockstep", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(name: "custom-loop", dependencies: [
            .product(name: "Lockstep", package: "Lockstep"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ]
)
