//! From YAML text to a checked [`Scenario`]: the file's shape first (serde, with
//! spans, in [`raw`]), then its meaning against the contract. Every problem found
//! is reported, each with its line and column.

mod expect;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod layout_tests;
mod raw;
mod step;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;

use hyper::header::HeaderName;
use indexmap::IndexMap;

use super::template::{is_name, placeholder, Template};
use super::{is_built_in, Phase, RedactTarget, Redaction, Scenario, VarDecl, BUILT_INS};
use crate::contract::Contract;
use crate::diagnostic::Diagnostic;
use crate::support::yaml::{self, Pos, Spanned};
use crate::support::{limits, pointer};
use raw::{RawRedaction, RawScenario, RawSteps, RawVar};
use step::StepCx;

/// Problems listed per file; the rest are counted (a file with thousands of
/// mistakes gets a readable list, not megabytes of it).
const MAX_ERRORS: usize = 100;

/// Variables named in an "unknown variable" message.
const MAX_KNOWN_LISTED: usize = 10;

/// Collects errors for one file: the first [`MAX_ERRORS`], and a count.
pub(super) struct Errors {
    file: String,
    list: Vec<Diagnostic>,
    more: usize,
}

impl Errors {
    pub(super) fn at(&mut self, loc: &Pos, message: impl Into<String>) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(Diagnostic::at_line(
                &self.file,
                loc.line() as usize,
                loc.column() as usize,
                message,
            ));
        } else {
            self.more += 1;
        }
    }

    /// Whether any problem was found.
    fn any(&self) -> bool {
        !self.list.is_empty()
    }

    /// How many were found so far.
    pub(super) fn count(&self) -> usize {
        self.list.len() + self.more
    }

    /// The list, with a last line counting those not listed.
    fn finish(mut self) -> Vec<Diagnostic> {
        if self.more > 0 {
            self.list.push(Diagnostic::new(
                &self.file,
                format!("and {} more problem(s) in this file, not listed", self.more),
            ));
        }
        self.list
    }
}

/// The variables known at a point of a scenario, in the order they became known
/// (a set: looking one up must not cost the length of the list; foldhash, as
/// the names come from the file).
pub(super) type Known = indexmap::IndexSet<String, foldhash::fast::RandomState>;

pub(super) fn scenario(
    file: PathBuf,
    text: &str,
    contract: &Contract,
) -> Result<Scenario, Vec<Diagnostic>> {
    let name = file.display().to_string();
    let raw: RawScenario = yaml::from_str_quick(&name, text).map_err(|e| vec![e])?;
    let mut errors = Errors {
        file: name,
        list: Vec::new(),
        more: 0,
    };

    if raw.name.value.trim().is_empty() {
        errors.at(&raw.name.referenced, "`name` is empty");
    }
    let needs_mock = match &raw.needs {
        None => false,
        Some(n) if n.value == "mock" => true,
        Some(n) => {
            errors.at(
                &n.referenced,
                format!(
                    "`needs: {}` is not known; the only value is `mock`",
                    n.value
                ),
            );
            false
        }
    };
    // Variables known so far: built-ins and declared ones (each may read the
    // ones before it), then each step's captures.
    let mut known: Known = BUILT_INS.iter().map(|s| s.to_string()).collect();
    let mut vars = IndexMap::new();
    for (name, value) in &raw.vars {
        if let Some(decl) = var(name, value, &known, &mut errors) {
            vars.insert(name.clone(), decl);
        }
        known.insert(name.clone());
    }
    let redact = raw
        .redact
        .iter()
        .filter_map(|r| redaction(r, &mut errors))
        .collect();
    let timeout = raw.timeout.as_ref().and_then(|t| {
        if t.value.0.is_zero() {
            errors.at(
                &t.referenced,
                "a scenario timeout of zero would skip every step",
            );
            return None;
        }
        Some(t.value.0)
    });
    let exclusive = raw.exclusive.as_ref().and_then(|e| {
        let v = e.value.trim();
        if v.is_empty() {
            errors.at(
                &e.referenced,
                "`exclusive` is empty; name the data the scenario shares",
            );
            return None;
        }
        Some(v.to_string())
    });

    if raw.steps.value.is_empty() {
        errors.at(
            &raw.steps.referenced,
            "`steps` is empty; a scenario needs at least one step",
        );
    }
    let mut cx = StepCx {
        contract,
        needs_mock,
        known: &mut known,
        errors: &mut errors,
    };
    let mut steps = Vec::new();
    let phases = [
        (Phase::Setup, raw.setup.as_ref()),
        (Phase::Main, Some(&raw.steps)),
        (Phase::Cleanup, raw.cleanup.as_ref()),
    ];
    for (phase, list) in phases {
        phase_steps(list, phase, &mut cx, &mut steps);
    }

    if errors.any() {
        return Err(errors.finish());
    }
    let snapshot = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    Ok(Scenario {
        file,
        snapshot,
        name: raw.name.value.trim().to_string(),
        description: raw.description,
        needs_mock,
        vars,
        redact,
        steps,
        timeout,
        exclusive,
    })
}

/// Checks one phase's steps and appends them.
fn phase_steps(
    list: Option<&RawSteps>,
    phase: Phase,
    cx: &mut StepCx<'_>,
    out: &mut Vec<super::Step>,
) {
    let Some(list) = list else { return };
    if list.value.is_empty() && phase != Phase::Main {
        cx.errors.at(
            &list.referenced,
            format!("`{}` is empty; leave it out instead", phase.label()),
        );
    }
    for raw_step in &list.value {
        if let Some(step) = step::step(raw_step, phase, cx) {
            out.push(step);
        }
    }
}

/// One declared variable: a plain value or `{default, mock, description}`, whose
/// templates may read built-ins and the variables declared before it.
fn var(name: &str, value: &Spanned<RawVar>, known: &Known, errors: &mut Errors) -> Option<VarDecl> {
    let at = &value.referenced;
    if !is_name(name) {
        errors.at(
            at,
            format!("`{name}` is not a variable name (letters, digits and _)"),
        );
        return None;
    }
    if is_built_in(name) {
        errors.at(
            at,
            format!(
                "`{name}` is a built-in variable ({}); it cannot be declared",
                BUILT_INS.join(", ")
            ),
        );
        return None;
    }
    let what = Cat(&"variable ", &name);
    let mut template = |text: &str| check_template(errors, known, text, at, &what);
    match &value.value {
        RawVar::Plain(text) => template(text).map(VarDecl::plain),
        RawVar::Full(full) => {
            let default = full.default.as_ref().map(|d| template(&d.0));
            let mock = full.mock.as_ref().map(|m| template(&m.0));
            if default.is_none() && mock.is_none() {
                errors.at(
                    at,
                    format!("variable {name} has neither `default` nor `mock`; give at least one"),
                );
                return None;
            }
            Some(VarDecl {
                default: default.flatten(),
                mock: mock.flatten(),
                description: full.description.clone(),
            })
        }
    }
}

fn redaction(r: &Spanned<RawRedaction>, errors: &mut Errors) -> Option<Redaction> {
    let raw = &r.value;
    let with = raw.with.clone().unwrap_or_else(|| "[redacted]".into());
    let given = [&raw.header, &raw.body, &raw.matching]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given != 1 {
        errors.at(
            &r.referenced,
            "a redaction rule takes exactly one of `header`, `body` (a JSON pointer) or `matching` (a regular expression)",
        );
        return None;
    }
    let target = if let Some(h) = &raw.header {
        match HeaderName::from_bytes(h.as_bytes()) {
            Ok(name) => RedactTarget::Header(name),
            Err(_) => {
                errors.at(&r.referenced, format!("`{h}` is not a header name"));
                return None;
            }
        }
    } else if let Some(p) = &raw.body {
        match pointer::tokens(p).filter(|_| !p.is_empty()) {
            Some(tokens) => RedactTarget::Body(tokens),
            None => {
                errors.at(
                    &r.referenced,
                    format!("`{p}` is not a JSON pointer (it must start with `/`)"),
                );
                return None;
            }
        }
    } else {
        let pattern = raw.matching.as_deref().unwrap_or_default();
        match regex::Regex::new(pattern) {
            Ok(re) if re.is_match("") => {
                errors.at(
                    &r.referenced,
                    format!("`{pattern}` matches the empty string, so it would redact everywhere"),
                );
                return None;
            }
            Ok(re) => RedactTarget::Matching(re),
            Err(e) => {
                errors.at(
                    &r.referenced,
                    format!("`{pattern}` is not a regular expression: {e}"),
                );
                return None;
            }
        }
    };
    Some(Redaction { target, with })
}

/// Two texts as one, written out only when a message is (most files have no
/// mistakes): what a message is about, such as `header X-A` or `body matcher
/// at /id: equals`.
pub(super) struct Cat<'a>(
    pub(super) &'a dyn fmt::Display,
    pub(super) &'a dyn fmt::Display,
);

impl fmt::Display for Cat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// Parses a template and checks that it reads only variables known at this point.
pub(super) fn check_template(
    errors: &mut Errors,
    known: &Known,
    text: &str,
    loc: &Pos,
    what: &dyn fmt::Display,
) -> Option<Template> {
    match Template::parse(text) {
        Ok(t) => {
            // `{{b}}{{b}}` is one problem, told once.
            let mut told: Vec<&str> = Vec::new();
            for v in t.vars() {
                if !known.contains(v) && !told.contains(&v) {
                    errors.at(loc, unknown_var(v, what, known));
                    told.push(v);
                }
            }
            Some(t)
        }
        Err(e) => {
            errors.at(loc, format!("{what}: {e}"));
            None
        }
    }
}

fn unknown_var(name: &str, what: &dyn fmt::Display, known: &Known) -> String {
    let list = if known.is_empty() {
        "none are declared".to_string()
    } else {
        let names = known.iter().map(String::as_str);
        format!(
            "known here: {}",
            limits::list_names(names, known.len(), MAX_KNOWN_LISTED)
        )
    };
    format!(
        "{what}: unknown variable `{}` ({list}); declare it under `vars` or capture it in an earlier step",
        placeholder(name)
    )
}
