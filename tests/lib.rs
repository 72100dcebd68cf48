//! Shared helpers for the end-to-end and co-simulation tests (one test file per unit).

/// Fails with the replay hint when `result` is an error.
pub fn check(result: Result<(), String>, hint: &str) {
    if let Err(e) = result {
        panic!("{e}\n{hint}");
    }
}
