// swift-tools-version:6.1
// lipschitz: exact Lipschitz constants of small ReLU networks, with estimates,
// theory and a comparison harness. Dependencies point toward LipschitzModel.
import PackageDescription

let package = Package(
    name: "lipschitz",
    products: [
        .executable(name: "lipschitz", targets: ["lipschitz"]),
        .executable(name: "lipschitz-bench", targets: ["lipschitz-bench"]),
        .library(name: "LipschitzModel", targets: ["LipschitzModel"]),
        .library(name: "ExactLipschitz", targets: ["ExactLipschitz"]),
        .library(name: "LipschitzEstimates", targets: ["LipschitzEstimates"]),
        .library(name: "RandomNetworks", targets: ["RandomNetworks"]),
        .library(name: "LipschitzTheory", targets: ["LipschitzTheory"]),
        .library(name: "ComparisonHarness", targets: ["ComparisonHarness"]),
        .library(name: "NetworkFormats", targets: ["NetworkFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // No traits: the default `BinaryDelimitedStreams` imports full Foundation (for its
        // streams), which would link Foundation and ICU into `lipschitz` (about 1 ms of start-up);
        // the package imports only FoundationEssentials and uses neither optional API.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0", traits: []),
    ],
    targets: [
        // System libraries from Debian (libglpk-dev, liblapacke-dev, libgmp-dev); no pkg-config files.
        .systemLibrary(name: "CGLPK", path: "Sources/CGLPK"),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE"),
        .systemLibrary(name: "CGMP", path: "Sources/CGMP"),

        // Network model, JSON format, Jacobians, operator norms, and the seeded generator with
        // portable maths that every sampler in the package draws from.
        .target(name: "LipschitzModel", dependencies: ["CLAPACKE"]),
        // A thin, validating wrapper over GLPK's simplex solver.
        .target(name: "LinearProgramming", dependencies: ["CGLPK"]),
        // Exact constants by enumerating full-dimensional activation regions.
        .target(name: "ExactLipschitz", dependencies: ["LipschitzModel", "LinearProgramming", "CGMP"]),
        // Random networks drawn as in the papers (THEORY.md §2), seeded.
        .target(name: "RandomNetworks", dependencies: ["LipschitzModel"]),
        // Sound lower/upper bounds and estimates for networks too big to enumerate.
        .target(name: "LipschitzEstimates", dependencies: ["LipschitzModel", "CLAPACKE"]),
        // The theory's characterisation of random networks, as code.
        .target(name: "LipschitzTheory", dependencies: ["LipschitzModel", "RandomNetworks"]),
        // ONNX and .nnet readers and writers.
        .target(name: "NetworkFormats", dependencies: [
            "LipschitzModel",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        // Runs exact, estimates and theory side by side.
        .target(name: "ComparisonHarness", dependencies: [
            "LipschitzModel", "ExactLipschitz", "LipschitzEstimates", "LipschitzTheory",
            "RandomNetworks", "NetworkFormats",
        ]),
        // Test support, the one copy every test target uses: an exact brute-force reference
        // (GLPK's rational simplex, region Jacobians in GMP rationals), independent of
        // ExactLipschitz and LinearProgramming so that it can hold them to account; the tests' own
        // generator (SplitMix64, independent of the package's); random-network builders;
        // `assertRelativelyEqual` and friends.
        .target(name: "LipschitzTestSupport", dependencies: ["LipschitzModel", "CGLPK", "CGMP"]),
        // The command-line tool: thin, argument parsing and printing only.
        .executableTarget(name: "lipschitz", dependencies: [
            "LipschitzModel", "ExactLipschitz", "LipschitzEstimates", "LipschitzTheory",
            "RandomNetworks", "ComparisonHarness", "NetworkFormats",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The benchmark suite (`make bench`): runs the `lipschitz` binary on seeded networks.
        .executableTarget(name: "lipschitz-bench", dependencies: ["LipschitzModel", "RandomNetworks", "ExactLipschitz"]),

        .testTarget(name: "LipschitzModelTests", dependencies: ["LipschitzModel", "LipschitzTestSupport"]),
        .testTarget(name: "LinearProgrammingTests", dependencies: ["LinearProgramming", "LipschitzTestSupport"]),
        .testTarget(name: "ExactLipschitzTests", dependencies: ["ExactLipschitz", "LipschitzModel", "LinearProgramming", "LipschitzTestSupport"]),
        .testTarget(name: "LipschitzTestSupportTests", dependencies: ["LipschitzTestSupport", "LipschitzModel"]),
        .testTarget(name: "RandomNetworksTests", dependencies: ["RandomNetworks", "LipschitzModel"]),
        .testTarget(name: "LipschitzEstimatesTests", dependencies: ["LipschitzEstimates", "ExactLipschitz", "LipschitzModel", "LipschitzTestSupport"]),
        .testTarget(name: "LipschitzTheoryTests", dependencies: ["LipschitzTheory", "RandomNetworks"]),
        .testTarget(name: "NetworkFormatsTests", dependencies: ["NetworkFormats", "LipschitzModel", "LipschitzTestSupport"]),
        .testTarget(name: "ComparisonHarnessTests", dependencies: ["ComparisonHarness", "ExactLipschitz", "LipschitzEstimates", "LipschitzModel", "LipschitzTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["lipschitz", "LipschitzTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
