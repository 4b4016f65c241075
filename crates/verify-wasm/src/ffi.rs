//! The module's C interface for JavaScript (docs/explorer.md §The wasm
//! module): the page copies its input into memory from [`alloc`], calls a
//! check, and reads the answer text at [`result_ptr`]/[`result_len`].
//! Each check returns 0 when it passes and 1 when it fails; the answer is
//! the transaction ID or the revealed `qty flavor`, or the reason.
//!
//! Entropy for the verifier's batch weights comes from the page's
//! `env.random_fill(ptr, len)`, which is `crypto.getRandomValues`.
#![allow(unsafe_code)]

use std::cell::RefCell;

thread_local! {
    /// The last answer, kept until the next call so JavaScript can read it.
    static RESULT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[link(wasm_import_module = "env")]
extern "C" {
    fn random_fill(ptr: *mut u8, len: usize);
}

fn browser_random(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    // SAFETY: the import writes exactly `len` bytes at `ptr`, which is a
    // live, exclusively borrowed buffer of that length.
    unsafe { random_fill(buf.as_mut_ptr(), buf.len()) };
    Ok(())
}

getrandom::register_custom_getrandom!(browser_random);

/// `len` bytes the page may write its input into; freed by [`dealloc`].
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Frees a buffer from [`alloc`].
///
/// # Safety
/// `ptr` and `len` are those of one [`alloc`] call, freed once.
#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    drop(Vec::from_raw_parts(ptr, 0, len));
}

/// Where the last answer is.
#[no_mangle]
pub extern "C" fn result_ptr() -> *const u8 {
    RESULT.with(|r| r.borrow().as_ptr())
}

/// How long the last answer is.
#[no_mangle]
pub extern "C" fn result_len() -> usize {
    RESULT.with(|r| r.borrow().len())
}

fn answer(result: Result<String, crate::CheckError>) -> u32 {
    let (code, text) = match result {
        Ok(t) => (0, t),
        Err(e) => (1, e.to_string()),
    };
    RESULT.with(|r| *r.borrow_mut() = text.into_bytes());
    code
}

/// Reads `len` bytes the page wrote at `ptr`.
///
/// # Safety
/// `ptr..ptr+len` was written by the page into a buffer from [`alloc`].
unsafe fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    std::slice::from_raw_parts(ptr, len)
}

/// Verifies the encoded transaction at `ptr..ptr+len`
/// ([`crate::verify_tx`]); the answer is its ID or the reason.
///
/// # Safety
/// See [`input`].
#[no_mangle]
pub unsafe extern "C" fn verify_tx(ptr: *const u8, len: usize) -> u32 {
    answer(crate::verify_tx(input(ptr, len)))
}

/// Checks the opening text at `ptr..ptr+len` ([`crate::check_opening`]);
/// the answer is `qty flavor` or the reason.
///
/// # Safety
/// See [`input`].
#[no_mangle]
pub unsafe extern "C" fn check_opening(ptr: *const u8, len: usize) -> u32 {
    let text = String::from_utf8_lossy(input(ptr, len)).into_owned();
    answer(crate::check_opening(&text).map(|r| format!("{} {}", r.qty, r.flavor)))
}
