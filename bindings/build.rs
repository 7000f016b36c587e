//! Link flags for the shared library only (never for tests or the CLI).
//!
//! Relative relocations are packed: a table of 24-byte entries (one per pointer in vtables,
//! string tables and the like: ~660 KB of the library) becomes a bitmap of a few KB. Android's
//! lld packs them in its own format, which every Android release since 6.0 reads; on Linux, glibc
//! reads the RELR format from 2.36 (the library then names `GLIBC_ABI_DT_RELR`, so an older
//! glibc refuses it with a clear message instead of misloading it).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("android") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--pack-dyn-relocs=android");
    } else if target.contains("linux-gnu") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
