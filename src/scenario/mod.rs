//! Scenarios: the recorded conversations `mimeo replay` plays against a target.
//!
//! A scenario file (YAML, under `conformance/`) holds variables with defaults,
//! redaction rules for its snapshot, and ordered steps. Everything that can be
//! wrong with a file is found here, before a single request is sent: syntax,
//! unknown fields, unknown variables, requests that match no operation, and
//! expected statuses the operation does not document. Errors carry
//! `file:line:column`. The format is documented in `conformance/README.md`.

mod parse;
pub mod template;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::header::HeaderName;
use hyper::Method;
use indexmap::IndexMap;
use regex::Regex;

use crate::contract::Contract;

pub use template::{Part, Template};

/// A scenario, checked against the contract.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from, as given (relative paths stay relative).
    pub file: PathBuf,
    /// The snapshot's name: the file stem.
    pub snapshot: String,
    /// What the scenario is about.
    pub name: String,
    /// Free text for readers.
    pub description: Option<String>,
    /// Only meaningful against mimeo's mock (it asks for statuses with `Prefer`).
    pub needs_mock: bool,
    /// Declared variables and their defaults, in file order.
    pub vars: IndexMap<String, String>,
    /// How volatile values are hidden in the snapshot.
    pub redact: Vec<Redaction>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One request and what is expected of its answer.
#[derive(Debug, Clone)]
pub struct Step {
    /// A label for reports; defaults to the request line.
    pub name: String,
    /// Where the step starts in the file.
    pub line: usize,
    /// HTTP method.
    pub method: Method,
    /// Path, with `{{var}}` placeholders.
    pub path: Template,
    /// Query parameters in order; repeated names stay repeated.
    pub query: Vec<(String, Template)>,
    /// Request headers in order.
    pub headers: Vec<(HeaderName, Template)>,
    /// The request body, if any.
    pub body: Option<Body>,
    /// Which credentials the request carries.
    pub auth: StepAuth,
    /// Overrides the run's per-request timeout.
    pub timeout: Option<Duration>,
    /// Allowed statuses, if the step states them.
    pub expect: Option<Vec<u16>>,
    /// Index into `Contract::operations`; `None` for a step deliberately outside the contract.
    pub operation: Option<usize>,
    /// Values taken from the response for later steps.
    pub captures: Vec<Capture>,
}

impl Step {
    /// `GET /v1/Stores/{{storeId}}?x=1`: the request line as written, placeholders kept,
    /// so snapshots do not change with the values.
    pub fn request_line(&self) -> String {
        let mut line = format!("{} {}", self.method, self.path.source());
        for (i, (k, v)) in self.query.iter().enumerate() {
            line.push(if i == 0 { '?' } else { '&' });
            line.push_str(k);
            line.push('=');
            line.push_str(v.source());
        }
        line
    }

    /// Every variable the step's request reads.
    pub fn uses(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let templates = std::iter::once(&self.path)
            .chain(self.query.iter().map(|(_, t)| t))
            .chain(self.headers.iter().map(|(_, t)| t))
            .chain(match &self.body {
                Some(Body::Raw(t)) => vec![t],
                Some(Body::Json(b)) => b.templates.iter().map(|(_, t)| t).collect(),
                None => Vec::new(),
            });
        for t in templates {
            out.extend(t.vars());
        }
        let mut seen = Vec::new();
        out.retain(|v| {
            let first = !seen.contains(v);
            seen.push(*v);
            first
        });
        out
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// JSON, sent as `application/json` unless the step sets Content-Type; strings
    /// may hold placeholders.
    Json(template::JsonBody),
    /// Text sent exactly as written (placeholders filled), for malformed bodies.
    Raw(Template),
}

/// Credentials a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAuth {
    /// The run's credentials (`--auth` or the environment), if any.
    Default,
    /// No `Authorization` header.
    None,
    /// Well-formed Basic credentials that no server accepts.
    Invalid,
}

/// A value taken from a response into a variable.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable it sets.
    pub var: String,
    /// Where the value comes from.
    pub from: CaptureFrom,
}

/// The source of a captured value.
#[derive(Debug, Clone)]
pub enum CaptureFrom {
    /// A JSON pointer into the response body.
    Body(String),
    /// A response header.
    Header(HeaderName),
}

/// A rule that hides a volatile value in the snapshot.
#[derive(Debug, Clone)]
pub struct Redaction {
    /// What it applies to.
    pub target: RedactTarget,
    /// The text that replaces the value.
    pub with: String,
}

/// What a redaction rule replaces.
#[derive(Debug, Clone)]
pub enum RedactTarget {
    /// The whole value of a response header.
    Header(HeaderName),
    /// Body values at a JSON pointer; a `*` token matches any member or index.
    Body(Vec<String>),
    /// Every match of a pattern, in header values and body strings.
    Matching(Regex),
}

/// A scenario file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column, when known.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, col)) => {
                write!(f, "{}:{line}:{col}: {}", self.file.display(), self.message)
            }
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads one scenario from text; `file` names it in errors and snapshots.
pub fn from_text(
    file: impl Into<PathBuf>,
    text: &str,
    contract: &Contract,
) -> Result<Scenario, Vec<ScenarioError>> {
    parse::scenario(file.into(), text, contract)
}

/// Reads one scenario file.
pub fn from_file(path: &Path, contract: &Contract) -> Result<Scenario, Vec<ScenarioError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ScenarioError {
            file: path.to_path_buf(),
            at: None,
            message: format!("cannot read: {e}"),
        }]
    })?;
    from_text(path, &text, contract)
}

/// Loads scenarios from files and directories (each directory's `*.yaml` and
/// `*.yml` files, sorted by name). Every error in every file is reported, and
/// two scenarios may not share a name or a snapshot.
pub fn load(paths: &[PathBuf], contract: &Contract) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| {
                            f.is_file()
                                && matches!(
                                    f.extension().and_then(|e| e.to_str()),
                                    Some("yaml" | "yml")
                                )
                        })
                        .collect();
                    found.sort();
                    if found.is_empty() {
                        errors.push(ScenarioError {
                            file: p.clone(),
                            at: None,
                            message: "no scenario files (*.yaml) in this directory".into(),
                        });
                    }
                    files.extend(found);
                }
                Err(e) => errors.push(ScenarioError {
                    file: p.clone(),
                    at: None,
                    message: format!("cannot read the directory: {e}"),
                }),
            }
        } else if p.exists() {
            files.push(p.clone());
        } else {
            errors.push(ScenarioError {
                file: p.clone(),
                at: None,
                message: "no such file or directory".into(),
            });
        }
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    for f in files {
        match from_file(&f, contract) {
            Ok(s) => {
                if let Some(other) = scenarios.iter().find(|o| o.snapshot == s.snapshot) {
                    errors.push(ScenarioError {
                        file: f.clone(),
                        at: None,
                        message: format!(
                            "its snapshot name `{}` is taken by {}; rename one file",
                            s.snapshot,
                            other.file.display()
                        ),
                    });
                } else if let Some(other) = scenarios.iter().find(|o| o.name == s.name) {
                    errors.push(ScenarioError {
                        file: f.clone(),
                        at: None,
                        message: format!(
                            "scenario name `{}` is also used by {}",
                            s.name,
                            other.file.display()
                        ),
                    });
                } else {
                    scenarios.push(s);
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}
