//! Errors a user can cause: a bad file, a bad spec, a bad setting.
//!
//! Programmer errors (shapes that cannot happen) panic with the offending values; everything a
//! user can cause comes back as an [`Error`] whose message names the field and what was expected,
//! e.g. `layers[2].weights: expected 3 rows of 4 numbers, found a row of 5`. The CLI prints it on
//! one line; the wasm build turns it into a JavaScript exception the page shows.
//!
//! Next: `src/wasm.rs`, the browser's view of all of the above.

use std::fmt;

/// A message for a person. Cheap to build, printed as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }

    /// An error about one field of a document: `at("layers[2].weights", "expected ...")`.
    pub fn at(path: &str, msg: impl fmt::Display) -> Self {
        if path.is_empty() {
            Error(msg.to_string())
        } else {
            Error(format!("{path}: {msg}"))
        }
    }

    /// Prefix the message with more context: `e.context("t10k-images-idx3-ubyte.gz")`.
    pub fn context(self, what: impl fmt::Display) -> Self {
        Error(format!("{what}: {}", self.0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
