//! Scenarios: the recorded conversations `mimeo replay` plays against a target.
//!
//! A scenario file (YAML, under `conformance/`) holds variables with defaults,
//! redaction rules for its snapshot, and ordered steps. Everything that can be
//! wrong with a file is found here, before a single request is sent: syntax,
//! unknown fields, unknown variables, requests that match no operation, and
//! expected statuses the operation does not document. Errors carry
//! `file:line:column`. The format is documented in `conformance/README.md`.
//!
//! A scenario has three phases: `setup` (provider states: what must be true
//! first), `steps`, and `cleanup` (always run, so a suite against a real store
//! leaves nothing behind). Steps may assert on the body and headers
//! (`expect`) and retry until an assertion holds.

pub(crate) mod expect;
mod parse;
pub(crate) mod template;
mod vars;

use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::header::HeaderName;
use hyper::Method;
use indexmap::IndexMap;
use regex::Regex;

use crate::contract::{Contract, OpIndex};
use crate::diagnostic::Diagnostic;

pub(crate) use expect::{BodyMatch, Expect, HeaderCheck, HeaderMatch, Matcher, Retry};
pub(crate) use template::{placeholder, Part, Template};
pub use vars::VarDecl;
pub(crate) use vars::{is_built_in, BUILT_INS};

/// Directories are read this deep at most (links between directories that are
/// not a loop can still make a walk long).
const MAX_DEPTH: usize = 8;
/// At most this many directories are read under one path given.
const MAX_DIRS: usize = 10_000;
/// The walk of one path given stops after this many problems: one per problem
/// is useful, a flood of them is not.
const MAX_WALK_ERRORS: usize = 20;
/// At most this many scenario files in one run.
const MAX_FILES: usize = 10_000;
/// The most threads that read scenario files at once (each file may take up to
/// the YAML reader's budget while it is read).
const MAX_READ_THREADS: usize = 4;

/// A scenario, checked against the contract.
#[derive(Debug, Clone)]
///
/// # Examples
///
/// ```
/// let contract = mimeo::Contract::embedded()?;
/// let text = "name: fetch\nvars:\n  storeId: mem_store_00000000000000000000000000\n  profileId: mem_profile_00000000000000000000000000\nsteps:\n  - request:\n      method: GET\n      path: /v1/Stores/{{storeId}}/Profiles/{{profileId}}/Identifiers/email\n    expect:\n      status: 200\n";
/// let scenario = mimeo::Scenario::from_text("fetch.yaml", text, &contract).map_err(|e| e[0].clone())?;
/// assert_eq!(scenario.name(), "fetch");
/// assert_eq!(scenario.step_count(), 1);
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
pub struct Scenario {
    /// The file it came from, as given (relative paths stay relative).
    pub(crate) file: PathBuf,
    /// The snapshot's name: the file stem.
    pub(crate) snapshot: String,
    /// What the scenario is about.
    pub(crate) name: String,
    /// Free text for readers.
    pub(crate) description: Option<String>,
    /// Only meaningful against mimeo's mock (it asks for statuses with `Prefer`).
    pub(crate) needs_mock: bool,
    /// Declared variables, in file order.
    pub(crate) vars: IndexMap<String, VarDecl>,
    /// How volatile values are hidden in the snapshot.
    pub(crate) redact: Vec<Redaction>,
    /// Every step in the order it runs: setup, then the main steps, then cleanup
    /// (each step knows its [`Phase`]).
    pub(crate) steps: Vec<Step>,
    /// How long setup and the main steps may take together; then the rest is
    /// skipped and cleanup runs.
    pub(crate) timeout: Option<Duration>,
    /// Scenarios with the same name here never run at the same time (they share
    /// data on a real store).
    pub(crate) exclusive: Option<String>,
}

/// Where a step belongs in its scenario.
///
/// # Examples
///
/// ```
/// use mimeo::scenario::Phase;
///
/// assert_eq!(Phase::Cleanup.label(), "cleanup");
/// assert_eq!(serde_json::to_string(&Phase::Setup)?, "\"setup\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Establishes what the scenario needs; a failing setup step stops the setup
    /// and the main steps (cleanup still runs).
    Setup,
    /// The scenario proper.
    Main,
    /// Always runs, after a failure or a timeout too.
    Cleanup,
}

impl Phase {
    /// `setup`, `steps` or `cleanup`: the key in the file, and the label in reports.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Main => "steps",
            Phase::Cleanup => "cleanup",
        }
    }

    /// Whether this is the scenario proper.
    pub fn is_main(self) -> bool {
        self == Phase::Main
    }
}

/// How reports number steps: `1`, `2`, ... for the main steps and `setup 1`,
/// `cleanup 1`, ... for the others, given each step's phase in order.
///
/// # Examples
///
/// ```
/// use mimeo::scenario::{step_labels, Phase};
///
/// let labels = step_labels([Phase::Setup, Phase::Main, Phase::Main, Phase::Cleanup]);
/// assert_eq!(labels, ["setup 1", "1", "2", "cleanup 1"]);
/// ```
pub fn step_labels(phases: impl IntoIterator<Item = Phase>) -> Vec<String> {
    let mut counts = [0usize; 3];
    phases
        .into_iter()
        .map(|p| {
            let slot = &mut counts[p as usize];
            *slot += 1;
            match p {
                Phase::Main => slot.to_string(),
                other => format!("{} {slot}", other.label()),
            }
        })
        .collect()
}

/// One request of a scenario and what is expected of its answer.
#[derive(Debug, Clone)]
pub struct Step {
    /// A label for reports; defaults to the request line.
    pub(crate) name: String,
    /// Where the step starts in the file.
    pub(crate) line: usize,
    /// Setup, main or cleanup.
    pub(crate) phase: Phase,
    /// When it fails, the rest of its phase is skipped (always so in setup).
    pub(crate) guard: bool,
    /// HTTP method.
    pub(crate) method: Method,
    /// Path, with `{{var}}` placeholders.
    pub(crate) path: Template,
    /// Query parameters in order; repeated names stay repeated.
    pub(crate) query: Vec<(String, Template)>,
    /// Request headers in order.
    pub(crate) headers: Vec<(HeaderName, Template)>,
    /// The request body, if any.
    pub(crate) body: Option<Body>,
    /// Which credentials the request carries.
    pub(crate) auth: StepAuth,
    /// Overrides the run's per-request timeout.
    pub(crate) timeout: Option<Duration>,
    /// What the answer must be besides keeping the contract.
    pub(crate) expect: Expect,
    /// Repeat the request until an expectation holds.
    pub(crate) retry: Option<Retry>,
    /// The operation it exercises; `None` for a step deliberately outside the contract.
    pub(crate) operation: Option<OpIndex>,
    /// Values taken from the response for later steps.
    pub(crate) captures: Vec<Capture>,
}

impl Step {
    /// Its label: `name:` in the file, else the request line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The statuses it expects, when it states them.
    pub fn expected(&self) -> Option<&[u16]> {
        self.expect.status.as_deref()
    }

    /// Setup, main or cleanup.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The line where the step starts in its file.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Whether it is deliberately outside the contract (`outside_contract: true`).
    pub fn outside_contract(&self) -> bool {
        self.operation.is_none()
    }

    /// `GET /v1/Stores/{{storeId}}?x=1`: the request line as written, placeholders kept,
    /// so snapshots do not change with the values.
    pub fn request_line(&self) -> String {
        let (method, path) = (self.method.as_str(), self.path.source());
        let mut line = String::with_capacity(method.len() + 1 + path.len());
        line.push_str(method);
        line.push(' ');
        line.push_str(path);
        for (i, (k, v)) in self.query.iter().enumerate() {
            line.push(if i == 0 { '?' } else { '&' });
            line.push_str(k);
            line.push('=');
            line.push_str(v.source());
        }
        line
    }

    /// Every variable the step's request and expectations read, in order of first use.
    pub fn uses(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.used().collect();
        let mut seen = std::collections::HashSet::new();
        out.retain(|v| seen.insert(*v));
        out
    }

    /// [`Step::uses`], a variable as often as it is used: what a step about
    /// to run looks through, with no set to build.
    pub(crate) fn used(&self) -> impl Iterator<Item = &str> {
        let body: &[(String, Template)] = match &self.body {
            Some(Body::Json(b)) => &b.templates,
            _ => &[],
        };
        let raw = match &self.body {
            Some(Body::Raw(t)) => Some(t),
            _ => None,
        };
        std::iter::once(&self.path)
            .chain(self.query.iter().map(|(_, t)| t))
            .chain(self.headers.iter().map(|(_, t)| t))
            .chain(raw)
            .chain(body.iter().map(|(_, t)| t))
            .flat_map(|t| t.vars())
            .chain(self.expect.vars())
            .chain(self.retry.iter().flat_map(|r| r.until.vars()))
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// JSON, sent as `application/json` unless the step sets Content-Type; strings
    /// may hold placeholders.
    Json(template::JsonBody),
    /// Text sent exactly as written (placeholders filled), for malformed bodies.
    Raw(Template),
}

/// Credentials a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepAuth {
    /// The run's credentials (`--auth` or the environment), if any.
    Default,
    /// No `Authorization` header.
    None,
    /// Well-formed Basic credentials that no server accepts.
    Invalid,
}

/// A value taken from a response into a variable.
#[derive(Debug, Clone)]
pub(crate) struct Capture {
    /// The variable it sets.
    pub(crate) var: String,
    /// Where the value comes from.
    pub(crate) from: CaptureFrom,
}

/// The source of a captured value.
#[derive(Debug, Clone)]
pub(crate) enum CaptureFrom {
    /// A JSON pointer into the response body.
    Body(String),
    /// A response header.
    Header(HeaderName),
}

/// A rule that hides a volatile value in the snapshot.
#[derive(Debug, Clone)]
pub(crate) struct Redaction {
    /// What it applies to.
    pub(crate) target: RedactTarget,
    /// The text that replaces the value.
    pub(crate) with: String,
}

/// What a redaction rule replaces.
#[derive(Debug, Clone)]
pub(crate) enum RedactTarget {
    /// The whole value of a response header.
    Header(HeaderName),
    /// Body values at a JSON pointer; a `*` token matches any member or index.
    Body(Vec<String>),
    /// Every match of a pattern, in header values and body strings.
    Matching(Regex),
}

/// Reads one scenario from text; `file` names it in errors and snapshots.
fn from_text(
    file: impl Into<PathBuf>,
    text: &str,
    contract: &Contract,
) -> Result<Scenario, Vec<Diagnostic>> {
    parse::scenario(file.into(), text, contract)
}

/// Reads one scenario file.
fn from_file(path: &Path, contract: &Contract) -> Result<Scenario, Vec<Diagnostic>> {
    let text = crate::support::text::read(path, "the scenario").map_err(|d| vec![d])?;
    from_text(path, &text, contract)
}

impl Scenario {
    /// Reads one scenario from text; `file` names it in errors and snapshots.
    pub fn from_text(
        file: impl Into<PathBuf>,
        text: &str,
        contract: &Contract,
    ) -> Result<Scenario, Vec<Diagnostic>> {
        from_text(file, text, contract)
    }

    /// Reads one scenario file.
    pub fn from_file(path: &Path, contract: &Contract) -> Result<Scenario, Vec<Diagnostic>> {
        from_file(path, contract)
    }

    /// What the scenario is about.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its free-text description, if it has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The file it came from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Its snapshot's name (the file stem).
    pub fn snapshot_name(&self) -> &str {
        &self.snapshot
    }

    /// Whether it only means something against mimeo's mock (`needs: mock`).
    pub fn needs_mock(&self) -> bool {
        self.needs_mock
    }

    /// How many steps it has.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Its steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Its declared variables, in file order.
    pub fn vars(&self) -> &IndexMap<String, VarDecl> {
        &self.vars
    }

    /// How long setup and the main steps may take together, if limited.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The name of the data it shares with other scenarios (`exclusive:`).
    pub fn exclusive(&self) -> Option<&str> {
        self.exclusive.as_deref()
    }
}

/// Loads scenarios from files and directories (each directory's `*.yaml` and
/// `*.yml` files, its subdirectories included, sorted by path). Every error in
/// every file is reported, and two scenarios may not share a name or a snapshot.
///
/// # Examples
///
/// ```
/// let contract = mimeo::Contract::embedded()?;
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
/// let scenarios = mimeo::load_scenarios(&[dir], &contract).map_err(|e| e[0].clone())?;
/// assert!(scenarios.iter().any(|s| s.file().components().any(|c| c.as_os_str() == "mock-only")));
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
pub fn load_scenarios(
    paths: &[PathBuf],
    contract: &Contract,
) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = files.len();
            Walk {
                files: &mut files,
                errors: Vec::new(),
                inside: Vec::new(),
                dirs: 0,
                too_deep: false,
                cut: false,
            }
            .run(p, &mut errors);
            if files.len() == before {
                errors.push(Diagnostic::new(
                    p.display().to_string(),
                    "no scenario files (*.yaml) in this directory",
                ));
            }
        } else if p.exists() {
            files.push(p.clone());
        } else {
            errors.push(Diagnostic::new(
                p.display().to_string(),
                "no such file or directory",
            ));
        }
        if files.len() > MAX_FILES {
            errors.push(Diagnostic::new(
                p.display().to_string(),
                format!("more than {MAX_FILES} scenario files; give fewer paths"),
            ));
            return Err(errors);
        }
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    // Index into `scenarios` by snapshot name and by scenario name.
    let mut by_snapshot: std::collections::HashMap<String, usize> = Default::default();
    let mut by_name: std::collections::HashMap<String, usize> = Default::default();
    for (f, read) in files.iter().zip(read_all(&files, contract)) {
        match read {
            Ok(s) => {
                if let Some(&other) = by_snapshot.get(&s.snapshot) {
                    errors.push(Diagnostic::new(
                        f.display().to_string(),
                        format!(
                            "its snapshot name `{}` is taken by {}; rename one file",
                            s.snapshot,
                            scenarios[other].file.display()
                        ),
                    ));
                } else if let Some(&other) = by_name.get(&s.name) {
                    errors.push(Diagnostic::new(
                        f.display().to_string(),
                        format!(
                            "scenario name `{}` is also used by {}",
                            s.name,
                            scenarios[other].file.display()
                        ),
                    ));
                } else {
                    by_snapshot.insert(s.snapshot.clone(), scenarios.len());
                    by_name.insert(s.name.clone(), scenarios.len());
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

/// Reads every file, in their order, on as many threads as there are cores (and
/// files, at most [`MAX_READ_THREADS`]): a large suite is mostly reading YAML,
/// and each file reads alone.
fn read_all(files: &[PathBuf], contract: &Contract) -> Vec<Result<Scenario, Vec<Diagnostic>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len())
        .min(MAX_READ_THREADS);
    if threads <= 1 {
        return files.iter().map(|f| from_file(f, contract)).collect();
    }
    // Each thread takes the next file not taken: files differ in size.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut read: Vec<(usize, Result<Scenario, Vec<Diagnostic>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break mine };
                        mine.push((i, from_file(f, contract)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    read.sort_unstable_by_key(|(i, _)| *i);
    read.into_iter().map(|(_, r)| r).collect()
}

/// The walk of one directory given: the scenario files under it, sorted,
/// subdirectories after the files beside them.
struct Walk<'a> {
    files: &'a mut Vec<PathBuf>,
    errors: Vec<Diagnostic>,
    /// The directories being read, outermost first: canonical path and the path
    /// shown. A directory whose canonical path is among them is a loop.
    inside: Vec<(PathBuf, PathBuf)>,
    /// Directories read so far.
    dirs: usize,
    /// Whether the depth bound was reported (once is enough).
    too_deep: bool,
    /// Whether a directory was left unread because the walk had to stop.
    cut: bool,
}

impl Walk<'_> {
    fn run(mut self, root: &Path, errors: &mut Vec<Diagnostic>) {
        self.walk(root, 0);
        // Only a walk the bound cut short says so: one that found exactly that
        // many problems and read everything did not stop.
        let over = self.cut && self.errors.len() >= MAX_WALK_ERRORS;
        errors.append(&mut self.errors);
        if over {
            errors.push(Diagnostic::new(
                root.display().to_string(),
                format!("stopped reading this directory after {MAX_WALK_ERRORS} problems"),
            ));
        }
    }

    /// Whether the walk must stop: too many files, directories or problems.
    fn done(&self) -> bool {
        self.files.len() > MAX_FILES || self.dirs > MAX_DIRS || self.errors.len() >= MAX_WALK_ERRORS
    }

    fn walk(&mut self, dir: &Path, depth: usize) {
        if self.done() {
            self.cut = true;
            return;
        }
        let real = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        // A link back to a directory the walk is inside would be read again and
        // again (down to the depth bound, once per path there): one error, and
        // the link is not followed.
        if let Some((_, shown)) = self.inside.iter().find(|(r, _)| *r == real) {
            let shown = shown.display().to_string();
            self.errors.push(Diagnostic::new(
                dir.display().to_string(),
                format!("a symbolic link loop: it leads back to {shown}, which contains it; mimeo does not follow it"),
            ));
            return;
        }
        if depth > MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.errors.push(Diagnostic::new(
                    dir.display().to_string(),
                    format!(
                        "directories nest deeper than {MAX_DEPTH} levels; mimeo reads no deeper"
                    ),
                ));
            }
            return;
        }
        self.dirs += 1;
        if self.dirs > MAX_DIRS {
            self.errors.push(Diagnostic::new(
                dir.display().to_string(),
                format!("more than {MAX_DIRS} directories to read; give a narrower path"),
            ));
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.errors.push(Diagnostic::new(
                    dir.display().to_string(),
                    format!("cannot read the directory: {e}"),
                ));
                return;
            }
        };
        let mut found: Vec<PathBuf> = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.is_file()
                && matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                )
            {
                found.push(path);
            }
            if found.len() + dirs.len() + self.files.len() > MAX_FILES {
                break;
            }
        }
        found.sort();
        dirs.sort();
        self.files.extend(found);
        self.inside.push((real, dir.to_path_buf()));
        for d in dirs {
            if self.done() {
                self.cut = true;
                break;
            }
            self.walk(&d, depth + 1);
        }
        self.inside.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_on_several_threads_come_back_in_their_order_with_their_errors() {
        let contract = Contract::embedded().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let good = "name: s{i}\nsteps:\n  - name: list\n    request:\n      method: GET\n      path: /v1/Stores/mem_store_01jq8m3f7c2v9w4x6y5z0a1b2k/Profiles/mem_profile_01jq8m3f7c2v9w4x6y5z0a1b2c/Identifiers\n";
        let mut files = Vec::new();
        for i in 0..40 {
            let path = dir.path().join(format!("f{i:02}.yaml"));
            // Every seventh file is broken, each its own way.
            let text = if i % 7 == 3 {
                format!("name: s{i}\nsteps: [{{{{oops}}\n")
            } else {
                good.replace("{i}", &i.to_string())
            };
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
        let read = read_all(&files, &contract);
        assert_eq!(read.len(), files.len());
        for (i, r) in read.iter().enumerate() {
            match r {
                Ok(s) => assert_eq!(s.name(), format!("s{i}")),
                Err(e) => {
                    assert_eq!(i % 7, 3, "{e:?}");
                    assert!(e[0].to_string().contains(&format!("f{i:02}.yaml")), "{e:?}");
                }
            }
        }
        let errors = load_scenarios(&[dir.path().to_path_buf()], &contract).unwrap_err();
        let named: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(named.len(), 6, "{named:?}");
        let mut sorted = named.clone();
        sorted.sort();
        assert_eq!(named, sorted);
    }
}
