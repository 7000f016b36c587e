#!/usr/bin/env bash
# Checks that uniffi's generated C header agrees with the library it came from, on any machine
# (Linux included, where there is no Swift): the header parses as C, its shared structs have
# the layout the Swift side assumes, every function it declares is exported by the library and
# every function of the library's namespace is declared, and the generated Swift calls only
# declared functions. It reads the files and never changes them.
#
#   ios/scripts/check-header.sh <swift-bindings-dir> <library>
#
# <swift-bindings-dir> holds what `bindings/generate` writes under swift/: HealthLockerFFI.h,
# and, if present, HealthLocker.swift and HealthLockerFFI.modulemap (or module.modulemap).
# <library> is the cdylib (.so / .dylib) or the static library (.a) the header is meant for.
# Exit status: 0 all good, 1 a check failed, 2 bad usage.
set -euo pipefail
export LC_ALL=C # sort and comm must agree on one collation

usage() { echo "usage: $0 <swift-bindings-dir> <library>" >&2; exit 2; }
fail() { echo "check-header: FAILED: $*" >&2; exit 1; }
[ $# -eq 2 ] || usage
dir=$1
lib=$2
[ -d "$dir" ] || { echo "not a directory: $dir" >&2; usage; }
[ -f "$lib" ] || { echo "no library at $lib" >&2; usage; }

headers=$(find "$dir" -maxdepth 1 -name '*.h')
[ -n "$headers" ] || fail "no .h file in $dir"
[ "$(printf '%s\n' "$headers" | wc -l)" -eq 1 ] || fail "more than one .h file in $dir: $(printf '%s' "$headers" | tr '\n' ' ')"
header=$headers
header_name=$(basename "$header")
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. It parses. Clang's nullability markers (_Nonnull, _Nullable) are defined away only where
#    the compiler does not know them (gcc); clang checks them as written.
nullability=()
printf 'int *_Nonnull a; int *_Nullable b; int *_Null_unspecified c;\n' >"$work/probe.c"
if ! "$cc" -fsyntax-only "$work/probe.c" 2>/dev/null; then
  nullability=(-D_Nonnull= -D_Nullable= -D_Null_unspecified=)
fi
cflags=(-std=c11 -Wall -Wextra -Werror "${nullability[@]}" -I "$dir")
printf '#include "%s"\n' "$header_name" >"$work/include.c"
"$cc" -fsyntax-only "${cflags[@]}" "$work/include.c" || fail "$header_name does not parse"
echo "ok: $header_name parses ($("$cc" --version | head -1))"

# 1b. It can sit beside another uniffi library's header in one translation unit, as in an app
#     with two uniffi libraries: its include guards work. A copy stands in for the other
#     library's header; it starts with an extra line because gcc's `#pragma once` takes two
#     files of the same size and contents for one.
{ echo "/* another uniffi library's header */"; cat "$header"; } >"$work/other_uniffi_library.h"
printf '#include "%s"\n#include "other_uniffi_library.h"\n' "$header_name" >"$work/twice.c"
"$cc" -fsyntax-only "${cflags[@]}" -I "$work" "$work/twice.c" \
  || fail "$header_name cannot be included beside another uniffi header (a broken include guard)"

# 2. The shared structs every call passes have the layout the Swift bindings were written for
#    (64-bit targets only: arm64 and x86_64). A deleted or reordered field still parses, so it
#    is caught here. The version macro guards the assumptions: a new uniffi shared header must
#    be looked at before these checks are updated.
cat >"$work/layout.c" <<C
#include <stddef.h>
#include "$header_name"
#ifndef UNIFFI_SHARED_HEADER_V4
#error "uniffi's shared header is not V4: review the layout checks in check-header.sh"
#endif
_Static_assert(sizeof(void *) == 8, "64-bit targets only");
_Static_assert(offsetof(RustBuffer, capacity) == 0 && offsetof(RustBuffer, len) == 8
    && offsetof(RustBuffer, data) == 16 && sizeof(RustBuffer) == 24, "RustBuffer layout");
_Static_assert(offsetof(ForeignBytes, len) == 0 && offsetof(ForeignBytes, data) == 8
    && sizeof(ForeignBytes) == 16, "ForeignBytes layout");
_Static_assert(offsetof(RustCallStatus, code) == 0 && offsetof(RustCallStatus, errorBuf) == 8
    && sizeof(RustCallStatus) == 32, "RustCallStatus layout");
C
"$cc" -fsyntax-only "${cflags[@]}" "$work/layout.c" || fail "$header_name: RustBuffer/ForeignBytes/RustCallStatus layout"
echo "ok: RustBuffer, ForeignBytes and RustCallStatus have the expected layout"

# 3. The functions the header declares: names followed by `(` after preprocessing (typedefs of
#    callbacks are `(*Name)` and struct members have no `(`, so neither is picked up).
"$cc" -E -P "${cflags[@]}" "$work/include.c" \
  | grep -oE '(^|[^A-Za-z0-9_])(uniffi|ffi)_[A-Za-z0-9_]+[[:space:]]*\(' \
  | sed -E 's/^[^A-Za-z0-9_]//; s/[[:space:]]*\($//' | sort -u >"$work/declared" || true
[ -s "$work/declared" ] || fail "$header_name declares no uniffi_*/ffi_* function"
# The namespace (the Rust crate) comes from the one function every uniffi library has.
ns=$(sed -nE 's/^ffi_(.+)_uniffi_contract_version$/\1/p' "$work/declared")
if [ -z "$ns" ] || [ "$(printf '%s\n' "$ns" | wc -l)" -ne 1 ]; then
  fail "$header_name declares no single ffi_<crate>_uniffi_contract_version"
fi

# 4. The functions the library exports.
if [ "$(head -c 7 "$lib")" = '!<arch>' ]; then kind=archive; else kind=shared; fi
case "$(uname -s)" in
  Darwin) nm -gU "$lib" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TW]$/ { sub(/^_/, "", $3); print $3 }' ;;
  *)
    if [ "$kind" = archive ]; then
      nm -g --defined-only "$lib" 2>/dev/null
    else
      nm -D --defined-only "$lib"
    fi | awk 'NF == 3 && $2 ~ /^[TW]$/ { print $3 }'
    ;;
esac | grep -E '^(uniffi|ffi)_' | sort -u >"$work/exported" || true
[ -s "$work/exported" ] || fail "$lib exports no uniffi_*/ffi_* function (stripped, or not a uniffi library?)"

comm -23 "$work/declared" "$work/exported" >"$work/missing"
if [ -s "$work/missing" ]; then
  echo "declared in $header_name but not exported by $(basename "$lib"):" >&2
  sed 's/^/  /' "$work/missing" >&2
  fail "$(wc -l <"$work/missing" | tr -d ' ') declared function(s) missing from the library"
fi
grep -E "^(uniffi|ffi)_${ns}_" "$work/exported" | comm -13 "$work/declared" - >"$work/undeclared" || true
if [ -s "$work/undeclared" ]; then
  echo "exported by $(basename "$lib") but not declared in $header_name:" >&2
  sed 's/^/  /' "$work/undeclared" >&2
  fail "the header is missing $(wc -l <"$work/undeclared" | tr -d ' ') function(s): generated from another build?"
fi
echo "ok: all $(wc -l <"$work/declared" | tr -d ' ') declared functions are exported by $(basename "$lib"), and no other ${ns} function is"

# 5. The generated Swift calls only declared functions.
swift=$(find "$dir" -maxdepth 1 -name '*.swift' | head -1)
if [ -n "$swift" ]; then
  grep -oE "(^|[^A-Za-z0-9_])(uniffi|ffi)_${ns}_[A-Za-z0-9_]+" "$swift" \
    | sed -E 's/^[^A-Za-z0-9_]//' | sort -u >"$work/called" || true
  comm -23 "$work/called" "$work/declared" >"$work/uncalled"
  if [ -s "$work/uncalled" ]; then
    echo "called by $(basename "$swift") but not declared in $header_name:" >&2
    sed 's/^/  /' "$work/uncalled" >&2
    fail "$(basename "$swift") and $header_name come from different generations"
  fi
  echo "ok: $(basename "$swift") calls $(wc -l <"$work/called" | tr -d ' ') functions, all declared"
fi

# 6. The module map names this header.
modulemap=$(find "$dir" -maxdepth 1 -name '*.modulemap' | head -1)
if [ -n "$modulemap" ]; then
  grep -qE "header[[:space:]]+\"$header_name\"" "$modulemap" \
    || fail "$(basename "$modulemap") does not name $header_name"
  echo "ok: $(basename "$modulemap") names $header_name"
fi
