#!/usr/bin/env bash
# Builds ios/build/HealthLockerFFI.xcframework (the Rust library for iOS, the iOS simulator and
# macOS, with its C header and module map) and copies the generated Swift bindings into
# ios/Sources/HealthLocker/Generated/. Both are build output, git-ignored. Needs a Mac with Xcode
# and rustup; it changes nothing outside ios/build, ios/Sources/HealthLocker/Generated and cargo's
# target directory.
#
#   ios/scripts/build-xcframework.sh [--profile NAME] [--ios-only]
#
#   --profile NAME  cargo profile (default release: fat LTO, what apps ship; `quick` builds much
#                   faster for trying things out)
#   --ios-only      skip the macOS slice (then `swift test` cannot run on the Mac; use
#                   `xcodebuild test` with an iOS simulator destination)
#
# How, and why:
# - Each target is built as a static library alone (`cargo rustc --crate-type staticlib`): iOS
#   apps cannot ship a bare dylib, and building the cdylib that Cargo.toml also lists (for
#   Kotlin and Python) would double the link time for nothing.
#     aarch64-apple-ios                         devices
#     aarch64-apple-ios-sim, x86_64-apple-ios   the simulator on Apple silicon and Intel Macs
#     aarch64-apple-darwin, x86_64-apple-darwin macOS: Package.swift declares macOS 12, and
#                                               `swift test` runs there
# - An XCFramework takes one library per platform variant, so lipo joins the two simulator
#   architectures into one file, and the two macOS ones into another.
# - The bindings come from `bindings/generate --lib <the device static library>`. uniffi's
#   library mode reads the interface from the library's embedded metadata, and that works on a
#   cdylib or a static library alike (ELF, Mach-O, universal, and ar archives: see
#   uniffi_bindgen::macro_metadata::extract); a static library built with fat LTO keeps the
#   metadata (checked on Linux: bindings generated from the release liblocker_ffi.a are the
#   same as from the debug .so). So no extra host build is needed.
# - Headers: HealthLockerFFI.h and module.modulemap, which is the generated
#   HealthLockerFFI.modulemap renamed (Xcode looks for that name in an XCFramework's Headers)
#   without its `use "_Builtin_stdbool"` / `use "_Builtin_stdint"` lines. Those are reported to
#   break the module under Xcode 26 (mozilla/uniffi-rs#2917), and only builds that enforce `use`
#   declarations (-fmodules-decluse) need them; Xcode and SwiftPM do not, and the header
#   includes <stdbool.h> and <stdint.h> itself.
#   They sit directly in Headers/, not in Headers/HealthLockerFFI/: Xcode 26's explicit-module
#   scanner looks only at the top. The price: an app that also links another static-library
#   XCFramework with its own top-level module.modulemap gets "Multiple commands produce
#   .../include/module.modulemap" (see ios/README.md).
# - ios/scripts/check-header.sh then checks the header against the device library and the
#   generated Swift.
set -euo pipefail

say() { printf '\n== %s\n' "$*"; }
die() { echo "build-xcframework: $*" >&2; exit 1; }

[ "$(uname -s)" = Darwin ] || die "this needs macOS with Xcode (xcodebuild, lipo); this machine is $(uname -s).
On any machine, ios/scripts/check-header.sh checks the generated header against a library."

profile=release
macos=1
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) [ $# -ge 2 ] || die "--profile needs a name"; profile=$2; shift ;;
    --ios-only) macos=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (usage: $0 [--profile NAME] [--ios-only])" ;;
  esac
  shift
done

for tool in cargo rustup xcodebuild xcrun lipo; do
  command -v "$tool" >/dev/null || die "$tool not found: install Xcode (xcode-select --install is not enough for xcodebuild) and rustup"
done
xcodebuild -version >/dev/null 2>&1 \
  || die "xcodebuild does not run: point it at Xcode with 'sudo xcode-select -s /Applications/Xcode.app'"

ios_dir=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$ios_dir/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}
case "$profile" in
  dev) profile_dir=debug ;;
  *) profile_dir=$profile ;;
esac
build="$ios_dir/build"
work="$build/work"
xcframework="$build/HealthLockerFFI.xcframework"
generated_swift="$ios_dir/Sources/HealthLocker/Generated"

# What the C code (SQLCipher, OpenSSL) and Rust are compiled for; keep in step with
# `platforms` in Package.swift, or the linker warns that objects are newer than the app.
export IPHONEOS_DEPLOYMENT_TARGET=15.0
export MACOSX_DEPLOYMENT_TARGET=12.0

device=aarch64-apple-ios
simulator=(aarch64-apple-ios-sim x86_64-apple-ios)
mac=(aarch64-apple-darwin x86_64-apple-darwin)
targets=("$device" "${simulator[@]}")
[ "$macos" = 1 ] && targets+=("${mac[@]}")

lib_of() { echo "$target_dir/$1/$profile_dir/liblocker_ffi.a"; }

say "rust targets"
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

for t in "${targets[@]}"; do
  say "cargo: locker-ffi for $t ($profile)"
  (cd "$repo" && cargo rustc --locked -p locker-ffi --lib --crate-type staticlib --profile "$profile" --target "$t")
  [ -f "$(lib_of "$t")" ] || die "cargo reported success but $(lib_of "$t") is missing"
done

say "lipo: one library per platform variant"
rm -rf "$work"
mkdir -p "$work/ios-device" "$work/ios-simulator" "$work/macos"
cp "$(lib_of "$device")" "$work/ios-device/liblocker_ffi.a"
lipo -create "$(lib_of "${simulator[0]}")" "$(lib_of "${simulator[1]}")" -output "$work/ios-simulator/liblocker_ffi.a"
if [ "$macos" = 1 ]; then
  lipo -create "$(lib_of "${mac[0]}")" "$(lib_of "${mac[1]}")" -output "$work/macos/liblocker_ffi.a"
fi

say "bindings from the device library"
"$repo/bindings/generate" --lib "$(lib_of "$device")" --out "$work/bindings"
gen="$work/bindings/swift"
for f in HealthLocker.swift HealthLockerFFI.h HealthLockerFFI.modulemap; do
  [ -f "$gen/$f" ] || die "bindings/generate wrote no $f (looked in $gen)"
done

say "headers and module map"
headers="$work/headers"
mkdir -p "$headers"
cp "$gen/HealthLockerFFI.h" "$headers/"
grep -v -E '^[[:space:]]*use "_Builtin_[a-z]+"[[:space:]]*$' "$gen/HealthLockerFFI.modulemap" >"$headers/module.modulemap"
if ! grep -q 'module HealthLockerFFI' "$headers/module.modulemap" \
  || ! grep -q 'header "HealthLockerFFI.h"' "$headers/module.modulemap"; then
  die "the generated module map has an unexpected shape; see $gen/HealthLockerFFI.modulemap"
fi
"$ios_dir/scripts/check-header.sh" "$gen" "$(lib_of "$device")"

say "xcframework"
rm -rf "$xcframework"
args=(-library "$work/ios-device/liblocker_ffi.a" -headers "$headers"
      -library "$work/ios-simulator/liblocker_ffi.a" -headers "$headers")
[ "$macos" = 1 ] && args+=(-library "$work/macos/liblocker_ffi.a" -headers "$headers")
xcodebuild -create-xcframework "${args[@]}" -output "$xcframework"

say "Swift bindings into the package"
rm -rf "$generated_swift"
mkdir -p "$generated_swift"
cp "$gen/HealthLocker.swift" "$generated_swift/"
rm -rf "$work"

cat <<DONE

done:
  $xcframework
  $generated_swift/HealthLocker.swift
Test on the Mac:        cd ios && swift test
Test in the simulator:  cd ios && xcodebuild test -scheme HealthLocker -destination 'platform=iOS Simulator,name=iPhone 15'
DONE
