// swift-tools-version:5.9
// healthlocker for iOS and macOS: the Rust core (HealthLockerFFI, an XCFramework built by
// scripts/build-xcframework.sh), the generated Swift bindings and our facade (HealthLocker).

import PackageDescription

let package = Package(
    name: "HealthLocker",
    // Keep in step with IPHONEOS_DEPLOYMENT_TARGET / MACOSX_DEPLOYMENT_TARGET in
    // scripts/build-xcframework.sh, which the Rust and C code is compiled for.
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "HealthLocker", targets: ["HealthLocker"]),
    ],
    targets: [
        // The static library, its C header and module map, per platform. Build output.
        .binaryTarget(name: "HealthLockerFFI", path: "build/HealthLockerFFI.xcframework"),
        // Generated/HealthLocker.swift (build output, copied in by the script) and our facade.
        .target(
            name: "HealthLocker",
            dependencies: ["HealthLockerFFI"],
            path: "Sources/HealthLocker"
            // No linkerSettings: `import Security` links the Security framework for
            // KeychainKeyProvider. Should a link fail on symbols the Rust library needs from the
            // system, `cargo rustc -p locker-ffi --crate-type staticlib --target aarch64-apple-ios
            // -- --print native-static-libs` lists what to add here.
        ),
        .testTarget(
            name: "HealthLockerTests",
            dependencies: ["HealthLocker"],
            path: "Tests/HealthLockerTests"
        ),
    ]
)
