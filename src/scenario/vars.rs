//! Variables a scenario declares, and the built-in ones every scenario may read.
//!
//! A suite that runs against a real store must not collide with itself or with
//! earlier runs, so values can be made unique per run (`{{run_id}}`, `{{uuid}}`,
//! `{{now}}` inside a default), and a value that names data a scenario may
//! destroy can be left without a default for real targets (`mock:` only): such a
//! scenario is skipped there unless `--var` names the data explicitly.

use super::template::Template;

/// Built-in variables: set by the runner, never declared.
pub(crate) const BUILT_INS: [&str; 3] = ["run_id", "uuid", "now"];

/// Whether `name` is a built-in variable.
pub(crate) fn is_built_in(name: &str) -> bool {
    BUILT_INS.contains(&name)
}

/// A declared variable: its value for any target, its value against mimeo's
/// mock, and what it is for (shown when a scenario is skipped for want of it).
///
/// # Examples
///
/// ```
/// let contract = mimeo::Contract::embedded()?;
/// let text = "name: t\nvars:\n  store:\n    mock: mem_store_00000000000000000000000000\n    description: a store this scenario may delete\nsteps:\n  - request: {method: DELETE, path: \"/v1/ControlPlane/Stores/{{store}}\"}\n";
/// let scenario = mimeo::Scenario::from_text("t.yaml", text, &contract).map_err(|e| e[0].clone())?;
/// let store = &scenario.vars()["store"];
/// assert!(store.default().is_none(), "no value against a real target unless --var gives one");
/// assert_eq!(store.mock(), Some("mem_store_00000000000000000000000000"));
/// # Ok::<(), mimeo::Diagnostic>(())
/// ```
#[derive(Debug, Clone)]
pub struct VarDecl {
    /// The value against any target (may read built-ins and earlier variables).
    pub(crate) default: Option<Template>,
    /// The value against mimeo's mock, where it wins over `default`.
    pub(crate) mock: Option<Template>,
    /// What the variable names, for people.
    pub(crate) description: Option<String>,
}

impl VarDecl {
    /// A plain default.
    pub(crate) fn plain(t: Template) -> VarDecl {
        VarDecl {
            default: Some(t),
            mock: None,
            description: None,
        }
    }

    /// The value against any target, as written.
    pub fn default(&self) -> Option<&str> {
        self.default.as_ref().map(Template::source)
    }

    /// The value against mimeo's mock, as written.
    pub fn mock(&self) -> Option<&str> {
        self.mock.as_ref().map(Template::source)
    }

    /// What it names.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The template that applies against a target (mimeo's mock or not).
    pub(crate) fn for_target(&self, is_mock: bool) -> Option<&Template> {
        match (is_mock, &self.mock) {
            (true, Some(m)) => Some(m),
            _ => self.default.as_ref(),
        }
    }
}
