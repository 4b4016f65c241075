//! Embeds the explorer's WebAssembly verifier (crates/verify-wasm) when
//! `scripts/build-verify-wasm.sh` has built it: the node serves it at
//! `/explorer/verify.wasm` (docs/explorer.md §Verification in the browser).
//! Without it the node still builds, and the transaction page says that
//! this node was built without in-browser verification.

// Cargo reads a build script's instructions from its standard output.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=ZKVM_VERIFY_WASM");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let wasm = std::env::var_os("ZKVM_VERIFY_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../target/explorer/verify.wasm"));
    println!("cargo:rerun-if-changed={}", wasm.display());
    let code = match wasm.canonicalize() {
        Ok(path) => format!(
            "/// The verifier module, built by scripts/build-verify-wasm.sh.\n\
             pub const VERIFY_WASM: Option<&[u8]> = Some(include_bytes!({:?}));\n",
            path.display().to_string()
        ),
        Err(_) => "/// Not built: scripts/build-verify-wasm.sh was not run before this build.\n\
                   pub const VERIFY_WASM: Option<&[u8]> = None;\n"
            .to_owned(),
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("verify_wasm.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
}
