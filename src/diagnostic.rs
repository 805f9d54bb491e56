//! Errors in files a user wrote (an OpenAPI document, a scenario, a config, a
//! state model or seed): which file, where in it, and what is wrong. One type for
//! all of them, because a person fixing a file needs the same three facts whatever
//! the file is, and tools can read them the same way.

use std::fmt;

/// A problem in a file, with where it is.
///
/// # Examples
///
/// ```
/// let err = mimeo::Contract::from_text("api.yaml", "openapi: 3.0.3\npaths: [1\n").unwrap_err();
/// assert_eq!(err.file(), "api.yaml");
/// assert!(err.line_column().is_some());
/// assert!(err.to_string().starts_with("api.yaml:"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    file: String,
    location: Option<Location>,
    message: String,
}

/// Where in a file a [`Diagnostic`] points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column (syntax errors, and files read with positions).
    LineColumn(usize, usize),
    /// A JSON pointer to the offending value (structural errors in documents).
    Pointer(String),
}

impl Diagnostic {
    /// A problem with the file as a whole (unreadable, empty, ...).
    pub(crate) fn new(file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            location: None,
            message: message.into(),
        }
    }

    /// A problem at a 1-based line and column.
    pub(crate) fn at_line(
        file: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            location: Some(Location::LineColumn(line, column)),
            message: message.into(),
        }
    }

    /// A problem at a JSON pointer (`""` is the document itself, shown as `/`).
    pub(crate) fn at_pointer(
        file: impl Into<String>,
        pointer: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let pointer = if pointer.is_empty() { "/" } else { pointer };
        Diagnostic {
            file: file.into(),
            location: Some(Location::Pointer(pointer.to_string())),
            message: message.into(),
        }
    }

    /// The file (as given, or the embedded contract's name).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Where in the file, when known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The 1-based line and column, when the problem has them.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match self.location {
            Some(Location::LineColumn(l, c)) => Some((l, c)),
            _ => None,
        }
    }

    /// The JSON pointer, when the problem is located by one.
    pub fn pointer(&self) -> Option<&str> {
        match &self.location {
            Some(Location::Pointer(p)) => Some(p),
            _ => None,
        }
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// `file:line:column: message` or `file: at #/pointer: message`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        match &self.location {
            Some(Location::LineColumn(line, col)) => write!(f, ":{line}:{col}")?,
            Some(Location::Pointer(p)) => write!(f, ": at #{p}")?,
            None => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Diagnostic {}
