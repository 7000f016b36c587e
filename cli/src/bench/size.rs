//! `locker bench size`: how big the shipped library is once stripped, and which crates make it so.
//! It owns the measurement only: it reads a library (or has cargo build the release one) and
//! strips a copy in a temporary directory; it never touches the build profile or the original file.
//!
//! Attribution reads the unstripped symbol table: every defined function or data symbol with a
//! size (one per address) is charged to a crate. Rust symbols name their crate once demangled. C
//! symbols do not, so they are charged by the source file the linker recorded before them (an
//! `STT_FILE` symbol; a cdylib's version script makes every C symbol local, so nearly all have
//! one) or, failing that, by name prefix. That part is a heuristic and the output says so.

use crate::{CliResult, Failure};
use object::{BinaryFormat, Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target for the stripped library with everything linked, in decimal megabytes.
const TARGET_MB: u64 = 8;
const TARGET_BYTES: u64 = TARGET_MB * 1_000_000;

const SQLCIPHER: &str = "sqlcipher (C)";
const OPENSSL: &str = "openssl (C)";
const RING_C: &str = "ring (C/asm)";
const SCAFFOLDING: &str = "locker_ffi (uniffi scaffolding)";
const C_RUNTIME: &str = "C runtime (crt)";
const UNKNOWN_C: &str = "C (unattributed)";
const UNKNOWN_RUST: &str = "rust (crate unknown)";

/// ring 0.17's C sources. Its assembly leaves no file symbol; its globals carry `ring_core_`.
const RING_FILES: &[&str] = &[
    "aes_nohw.c",
    "constant_time_test.c",
    "cpu_intel.c",
    "crypto.c",
    "curve25519.c",
    "curve25519_64_adx.c",
    "ecp_nistz.c",
    "gfp_p256.c",
    "gfp_p384.c",
    "limbs.c",
    "mem.c",
    "montgomery.c",
    "montgomery_inv.c",
    "p256-nistz.c",
    "p256.c",
    "poly1305.c",
    "poly1305_arm.c",
];
/// What the C runtime's start and end files define.
const CRT_NAMES: &[&str] =
    &["deregister_tm_clones", "register_tm_clones", "__do_global_dtors_aux", "frame_dummy", "atexit", "__dso_handle"];
/// Names that OpenSSL's sources share with ring's: decided by the files linked beside them.
const SHARED_WITH_OPENSSL: &[&str] = &["curve25519.c", "mem.c", "poly1305.c"];

const NOTE: &str = "bytes are symbol sizes in the unstripped library (functions and initialised data, one symbol \
per address), so inlined code counts in the crate it was inlined into; share is of attributed_bytes. Rust symbols \
are charged to the first path segment of the demangled name (the type's crate for trait impls). C symbols are \
charged by heuristic: by the source file the linker recorded before them (sqlcipher.c is SQLCipher's amalgamation, ring's file names \
are ring, other C is taken as OpenSSL, the only other C linked) or by name prefix. unattributed_bytes is the \
stripped file's size less attributed_bytes: headers, unwind tables, relocations, literals and padding that no \
symbol covers. target_mb is decimal (8,000,000 bytes).";

pub fn run(lib: Option<PathBuf>, top: usize, json_out: bool) -> CliResult {
    let lib = match lib {
        Some(path) => path,
        None => build_release_library()?,
    };
    let data =
        std::fs::read(&lib).map_err(|e| Failure::usage(format!("cannot read the library {}: {e}", lib.display())))?;
    let attribution = attribute(&data).map_err(|m| Failure::usage(format!("{}: {m}", lib.display())))?;
    let stripped = stripped_size(&lib, attribution.format)?;
    let unstripped = data.len() as u64;

    let attributed: u64 = attribution.by_crate.values().sum();
    let share = |bytes: u64| super::round(bytes as f64 / attributed.max(1) as f64, 4);
    let mut ranked: Vec<(&str, u64)> = attribution.by_crate.iter().map(|(c, b)| (c.as_str(), *b)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let rest: u64 = ranked.iter().skip(top).map(|(_, b)| b).sum();
    let mut top_crates: Vec<Value> =
        ranked.iter().take(top).map(|(c, b)| json!({"crate": c, "bytes": b, "share": share(*b)})).collect();
    if rest > 0 {
        top_crates.push(json!({"crate": "other", "bytes": rest, "share": share(rest)}));
    }

    let figures = json!({
        "lib": lib.display().to_string(),
        "cdylib_stripped_bytes": stripped,
        "cdylib_unstripped_bytes": unstripped,
        "target_mb": TARGET_MB,
        "within_target": stripped <= TARGET_BYTES,
        "attributed_bytes": attributed,
        "unattributed_bytes": stripped.saturating_sub(attributed),
        "top_crates": top_crates,
        "note": NOTE,
    });
    if json_out {
        println!("{figures}");
    } else {
        print_table(&figures);
    }
    Ok(())
}

fn print_table(f: &Value) {
    let mb = |k: &str| f[k].as_u64().unwrap_or(0) as f64 / 1e6;
    println!("library                  {}", f["lib"].as_str().unwrap_or(""));
    println!("stripped                 {:.2} MB (target {} MB: {})", mb("cdylib_stripped_bytes"), TARGET_MB, {
        if f["within_target"].as_bool() == Some(true) { "within" } else { "OVER" }
    });
    println!("unstripped               {:.2} MB", mb("cdylib_unstripped_bytes"));
    println!("attributed to symbols    {:.2} MB", mb("attributed_bytes"));
    println!("not covered by a symbol  {:.2} MB", mb("unattributed_bytes"));
    println!();
    for c in f["top_crates"].as_array().into_iter().flatten() {
        let bytes = c["bytes"].as_u64().unwrap_or(0);
        let share = c["share"].as_f64().unwrap_or(0.0) * 100.0;
        println!("{:>10.1} KB {share:>5.1}%  {}", bytes as f64 / 1e3, c["crate"].as_str().unwrap_or(""));
    }
    println!();
    println!("{NOTE}");
}

/// Has cargo build the release library for this machine and returns its path.
fn build_release_library() -> CliResult<PathBuf> {
    let root = workspace_root().ok_or_else(|| {
        Failure::usage("cannot find the healthlocker workspace from here: run inside it, or pass --lib PATH")
    })?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Only the library: building uniffi-bindgen in the same command would unify uniffi's CLI
    // features into it and measure a library nobody ships.
    let status = Command::new(&cargo)
        .args(["build", "--release", "--locked", "-p", "locker-ffi"])
        .current_dir(&root)
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| Failure::new(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(Failure::new("cargo build --release -p locker-ffi failed (its output is above)"));
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    };
    let name = format!("{}locker_ffi{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let lib = target.join("release").join(name);
    if lib.is_file() { Ok(lib) } else { Err(Failure::new(format!("cargo built, but {} is not there", lib.display()))) }
}

/// The nearest directory above the current one holding the workspace (a `[workspace]` manifest
/// beside `bindings/`), else the one this binary was built from.
fn workspace_root() -> Option<PathBuf> {
    let is_root = |dir: &Path| {
        dir.join("bindings").is_dir()
            && std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|m| m.contains("[workspace]"))
    };
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|d| is_root(d))
        .map(Path::to_path_buf)
        .or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).parent().filter(|d| is_root(d)).map(Path::to_path_buf))
}

/// Strips a copy of `lib` in a temporary directory and returns the copy's size.
fn stripped_size(lib: &Path, format: BinaryFormat) -> CliResult<u64> {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join(lib.file_name().unwrap_or("lib".as_ref()));
    std::fs::copy(lib, &copy)?;
    // A dylib's exported symbols cannot go: `-x` drops the local ones, as Xcode does.
    let tools: &[(&str, &[&str])] = match format {
        BinaryFormat::MachO => &[("strip", &["-x"])],
        _ => &[("strip", &["--strip-all"]), ("objcopy", &["--strip-all"])],
    };
    let mut tried = Vec::new();
    for (tool, args) in tools {
        match Command::new(tool).args(*args).arg(&copy).stdout(Stdio::null()).stderr(Stdio::piped()).output() {
            Ok(out) if out.status.success() => return Ok(std::fs::metadata(&copy)?.len()),
            Ok(out) => {
                let why = String::from_utf8_lossy(&out.stderr);
                tried.push(format!("{tool}: {}", why.lines().next().unwrap_or("failed").trim()));
            }
            Err(e) => tried.push(format!("{tool}: {e}")),
        }
    }
    Err(Failure::new(format!("cannot strip a copy of the library ({})", tried.join("; "))))
}

struct Attribution {
    format: BinaryFormat,
    by_crate: BTreeMap<String, u64>,
}

/// One sized symbol, before it is charged to a crate.
struct Sym<'a> {
    name: &'a str,
    address: u64,
    size: u64,
    section: Option<object::SectionIndex>,
    local: bool,
    /// Index into the file symbols seen so far (ELF), if any preceded it.
    file: Option<usize>,
}

fn attribute(data: &[u8]) -> Result<Attribution, String> {
    let file = object::File::parse(data).map_err(|e| format!("not a library this can read ({e})"))?;
    let format = file.format();
    if !matches!(format, BinaryFormat::Elf | BinaryFormat::MachO) {
        return Err(format!("{format:?} libraries are not measured; ELF and Mach-O are"));
    }
    let mut files: Vec<&str> = Vec::new();
    let mut syms: Vec<Sym> = Vec::new();
    for s in file.symbols() {
        if s.kind() == SymbolKind::File {
            files.push(s.name().unwrap_or(""));
            continue;
        }
        if !matches!(s.kind(), SymbolKind::Text | SymbolKind::Data | SymbolKind::Tls) || s.is_undefined() {
            continue;
        }
        let Ok(name) = s.name() else { continue };
        let name = if format == BinaryFormat::MachO { name.strip_prefix('_').unwrap_or(name) } else { name };
        syms.push(Sym {
            name,
            address: s.address(),
            size: s.size(),
            section: s.section_index(),
            local: s.is_local(),
            file: files.len().checked_sub(1),
        });
    }
    if syms.is_empty() {
        return Err("no symbol table: pass the unstripped library".into());
    }
    if format == BinaryFormat::MachO {
        size_by_gaps(&file, &mut syms);
    }
    let file_crates = crates_of_files(&files);

    // Aliases and folded functions share an address: count the bytes once, under the first name.
    let mut by_address: HashMap<u64, (u64, String)> = HashMap::new();
    for s in &syms {
        if s.size == 0 || !occupies_file(&file, s.section) {
            continue;
        }
        let krate = crate_of(s, &file_crates, format);
        let entry = by_address.entry(s.address).or_insert((0, krate));
        entry.0 = entry.0.max(s.size);
    }
    let mut by_crate = BTreeMap::new();
    for (size, krate) in by_address.into_values() {
        *by_crate.entry(krate).or_insert(0) += size;
    }
    Ok(Attribution { format, by_crate })
}

/// Zero-fill data (.bss) has a size in memory but none in the file.
fn occupies_file(file: &object::File, section: Option<object::SectionIndex>) -> bool {
    let Some(section) = section.and_then(|i| file.section_by_index(i).ok()) else { return false };
    !matches!(section.kind(), SectionKind::UninitializedData | SectionKind::UninitializedTls)
}

/// Mach-O symbols carry no size: each runs to the next symbol in its section or the section's end.
fn size_by_gaps(file: &object::File, syms: &mut [Sym]) {
    let mut order: Vec<usize> = (0..syms.len()).collect();
    order.sort_by_key(|&i| (syms[i].section.map(|s| s.0), syms[i].address));
    for w in 0..order.len() {
        let (i, next) = (order[w], order.get(w + 1).map(|&j| &syms[j]));
        let end = match next {
            Some(n) if n.section == syms[i].section => n.address,
            _ => match syms[i].section.and_then(|s| file.section_by_index(s).ok()) {
                Some(sec) => sec.address() + sec.size(),
                None => syms[i].address,
            },
        };
        syms[i].size = end.saturating_sub(syms[i].address);
    }
}

fn crate_of(s: &Sym, file_crates: &[Option<String>], format: BinaryFormat) -> String {
    if let Ok(demangled) = rustc_demangle::try_demangle(s.name) {
        return rust_crate(&format!("{demangled:#}"));
    }
    if let Some(known) = crate_by_prefix(s.name) {
        return known.to_string();
    }
    if CRT_NAMES.iter().any(|c| s.name == *c || s.name.starts_with("completed.")) {
        return C_RUNTIME.to_string();
    }
    match (s.local, s.file.and_then(|f| file_crates.get(f)?.as_ref())) {
        (true, Some(krate)) => krate.clone(),
        // A global C symbol the prefixes do not know: OpenSSL is the remaining C library.
        _ if format == BinaryFormat::Elf => OPENSSL.to_string(),
        _ => UNKNOWN_C.to_string(),
    }
}

fn crate_by_prefix(name: &str) -> Option<&'static str> {
    let starts = |p: &[&str]| p.iter().any(|p| name.starts_with(p));
    Some(if starts(&["sqlite3", "sqlcipher"]) {
        SQLCIPHER
    } else if starts(&["ring_core_"]) {
        RING_C
    } else if starts(&["uniffi_", "ffi_locker_ffi", "UNIFFI_META_"]) {
        SCAFFOLDING
    } else if starts(&["__rust_", "__rdl_", "__rg_", "rust_eh_personality", "rust_begin_unwind", "rust_panic"]) {
        "std"
    } else {
        return None;
    })
}

/// What each `STT_FILE` symbol's source is: C by its name, Rust by its codegen unit's crate.
/// None for the C runtime's stubs: the linker lists them last, and assembly that recorded no
/// file of its own (OpenSSL's) lands in their group.
fn crates_of_files(files: &[&str]) -> Vec<Option<String>> {
    let is_c = |f: &str| [".c", ".S", ".s", ".asm", ".cc", ".cpp"].iter().any(|e| f.ends_with(e));
    let is_ring = |f: &str| RING_FILES.contains(&f) && !SHARED_WITH_OPENSSL.contains(&f);
    (0..files.len())
        .map(|i| {
            let f = files[i];
            if !is_c(f) {
                // `<crate>.<hash>-cgu.<n>` (incremental builds hash the whole name instead).
                return Some(match f.split_once('.') {
                    Some((krate, rest)) if rest.contains("-cgu.") => krate.to_string(),
                    _ => UNKNOWN_RUST.to_string(),
                });
            }
            let krate = if f == "sqlcipher.c" || f == "sqlite3.c" {
                SQLCIPHER
            } else if f.starts_with("crt") {
                return None;
            } else if is_ring(f) {
                RING_C
            } else if SHARED_WITH_OPENSSL.contains(&f) {
                // The archive links its members together: look at the next file with a telling name.
                let next = files[i + 1..].iter().find(|n| is_c(n) && !SHARED_WITH_OPENSSL.contains(n));
                if next.is_some_and(|n| is_ring(n)) { RING_C } else { OPENSSL }
            } else {
                OPENSSL
            };
            Some(krate.to_string())
        })
        .collect()
}

/// The crate a demangled Rust name belongs to: its first path segment, or for `<Type as Trait>`
/// the type's crate (the trait's when the type has no path), as cargo-bloat counts them.
fn rust_crate(demangled: &str) -> String {
    // The allocator and panic shims (`__rustc::__rust_alloc`…) are std's.
    if demangled.starts_with("__rustc::") {
        return "std".to_string();
    }
    let name = demangled.trim_start_matches('_');
    let Some(inner) = name.strip_prefix('<') else { return first_segment(name) };
    let mut ty = inner.strip_prefix("impl ").map_or(inner, |i| i.rsplit_once(" for ").map_or(i, |(_, t)| t));
    for prefix in ["&mut ", "&", "*const ", "*mut ", "mut ", "dyn ", "[", "("] {
        while let Some(rest) = ty.strip_prefix(prefix) {
            ty = rest;
        }
    }
    if ty.starts_with('<') {
        return rust_crate(ty);
    }
    let krate = first_segment(ty);
    if ty[krate.len()..].starts_with("::") {
        return krate;
    }
    // No path: a primitive or, in legacy symbols, an unsubstituted generic (`T`). The trait says more.
    match inner.split_once(" as ") {
        Some((_, tr)) => rust_crate(tr),
        // Inherent methods of primitives and slices live in core.
        None => "core".to_string(),
    }
}

fn first_segment(path: &str) -> String {
    let end = path.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '!')).unwrap_or(path.len());
    path[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trait_impls_are_charged_to_the_type_and_primitives_to_the_trait() {
        assert_eq!(rust_crate("core::ptr::drop_in_place<serde_json::Value>"), "core");
        assert_eq!(rust_crate("<alloc::vec::Vec<u8> as core::ops::drop::Drop>::drop"), "alloc");
        assert_eq!(rust_crate("<&mut locker_core::Record as core::fmt::Debug>::fmt"), "locker_core");
        assert_eq!(rust_crate("<u64 as core::fmt::Display>::fmt"), "core");
        assert_eq!(rust_crate("<[u8] as serde::Serialize>::serialize"), "serde");
        assert_eq!(rust_crate("<str>::to_lowercase"), "core");
        assert_eq!(rust_crate("<impl core::fmt::Debug for rusqlite::Error>::fmt"), "rusqlite");
        assert_eq!(rust_crate("_<std::io::Error>::new"), "std");
        assert_eq!(rust_crate("<T as alloc::string::ToString>::to_string"), "alloc");
        assert_eq!(rust_crate("<&[u8] as <alloc::ffi::c_str::CString>::new::SpecNewImpl>::spec_new_impl"), "alloc");
        assert_eq!(rust_crate("<u8 as <[_]>::to_vec_in::ConvertVec>::to_vec::<alloc::alloc::Global>"), "core");
        assert_eq!(rust_crate("__rustc::__rdl_alloc"), "std");
    }

    #[test]
    fn openssl_files_named_like_ring_files_go_by_their_neighbours() {
        let files =
            ["ring.1234-cgu.0", "curve25519.c", "aes_nohw.c", "bn_lib.c", "curve25519.c", "x_all.c", "crtstuff.c"];
        let crates = crates_of_files(&files);
        let named = |c: &str| Some(c.to_string());
        assert_eq!(
            crates,
            [named("ring"), named(RING_C), named(RING_C), named(OPENSSL), named(OPENSSL), named(OPENSSL), None]
        );
    }
}
