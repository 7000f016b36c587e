//! uniffi-bindgen at exactly the library's uniffi version. Built on its own (`cargo run -p
//! uniffi-bindgen`), never in the same cargo command as locker-ffi: see the workspace manifest.

fn main() {
    uniffi::uniffi_bindgen_main()
}
