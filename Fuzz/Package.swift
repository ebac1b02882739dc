// swift-tools-version:5.10
// libFuzzer targets for lipschitz (docs/fuzzing.md). A separate package so that the
// normal `swift build` / `swift test` never sees LLVMFuzzerTestOneInput without
// libFuzzer's main. Build with `make fuzz-build` (scratch path .build-fuzz).
import PackageDescription

let package = Package(
    name: "lipschitz-fuzz",
    dependencies: [
        .package(name: "lipschitz", path: ".."),
    ],
    targets: [
        // libFuzzer's LLVMFuzzerRunDriver, declared for Swift.
        .target(name: "FuzzDriver", path: "Sources/FuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["FuzzDriver"], path: "Sources/FuzzSupport"),
        // One executable per fuzz target (docs/fuzzing.md).
        .executableTarget(name: "fuzz-json", dependencies: [
            "FuzzSupport", .product(name: "LipschitzModel", package: "lipschitz"),
        ], path: "Sources/fuzz-json"),
        .executableTarget(name: "fuzz-onnx", dependencies: [
            "FuzzSupport", .product(name: "LipschitzModel", package: "lipschitz"), .product(name: "NetworkFormats", package: "lipschitz"),
        ], path: "Sources/fuzz-onnx"),
        .executableTarget(name: "fuzz-nnet", dependencies: [
            "FuzzSupport", .product(name: "LipschitzModel", package: "lipschitz"), .product(name: "NetworkFormats", package: "lipschitz"),
        ], path: "Sources/fuzz-nnet"),
        .executableTarget(name: "fuzz-box", dependencies: [
            "FuzzSupport", .product(name: "LipschitzModel", package: "lipschitz"),
        ], path: "Sources/fuzz-box"),
        .executableTarget(name: "fuzz-exact", dependencies: [
            "FuzzSupport", .product(name: "LipschitzModel", package: "lipschitz"), .product(name: "ExactLipschitz", package: "lipschitz"),
            .product(name: "RandomNetworks", package: "lipschitz"),
        ], path: "Sources/fuzz-exact"),
    ]
)
