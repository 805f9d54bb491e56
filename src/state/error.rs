//! Errors in state files (models, seeds) and state documents (admin JSON).
//!
//! A person fixes these by hand, so each names the file and where in it: line and
//! column when the text came from YAML, else the JSON pointer of the value (a JSON
//! document sent to the admin endpoint has no lines). Loading collects every
//! problem rather than stopping at the first.

use std::fmt;

use serde_saphyr::Location;

use crate::diagnostic::Diagnostic;

/// Every problem found in one file, in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateErrors(pub Vec<Diagnostic>);

impl fmt::Display for StateErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StateErrors {}

/// Collects errors for one file.
pub(crate) struct Errors {
    file: String,
    pub(crate) list: Vec<Diagnostic>,
}

/// Where a value sits: a YAML position, or a JSON pointer when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    Line(usize, usize),
    Pointer(String),
    Nowhere,
}

impl At {
    /// A saphyr location; `Location::UNKNOWN` (line 0) becomes `Nowhere`.
    pub(crate) fn loc(l: &Location) -> At {
        if l.line() == 0 {
            At::Nowhere
        } else {
            At::Line(l.line() as usize, l.column() as usize)
        }
    }
}

impl Errors {
    pub(crate) fn new(file: &str) -> Errors {
        Errors {
            file: file.to_string(),
            list: Vec::new(),
        }
    }

    /// Records a problem at a position.
    pub(crate) fn at(&mut self, at: &At, message: impl Into<String>) {
        let file = self.file.clone();
        self.list.push(match at {
            At::Line(l, c) => Diagnostic::at_line(file, *l, *c, message),
            At::Pointer(p) => Diagnostic::at_pointer(file, p, message),
            At::Nowhere => Diagnostic::new(file, message),
        });
    }

    /// Records a problem at a saphyr location.
    pub(crate) fn loc(&mut self, l: &Location, message: impl Into<String>) {
        self.at(&At::loc(l), message);
    }

    /// `Ok(value)` when nothing was recorded; else every problem, in the order
    /// of the file (those without a line keep the order found, last).
    pub(crate) fn finish<T>(mut self, value: T) -> Result<T, StateErrors> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            self.list
                .sort_by_key(|e| e.line_column().unwrap_or((usize::MAX, 0)));
            Err(StateErrors(self.list))
        }
    }
}

/// A saphyr parse error as a `StateErrors` with its position.
pub(crate) fn yaml_error(file: &str, e: &serde_saphyr::Error) -> StateErrors {
    let message = crate::support::yaml::describe(e);
    let mut errors = Errors::new(file);
    match e.location() {
        Some(l) => errors.loc(&l, message),
        None => errors.at(&At::Nowhere, message),
    }
    StateErrors(errors.list)
}
