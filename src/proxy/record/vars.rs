//! The variables of a recorded session: each distinct value of a path parameter
//! becomes a variable (`profileId`, then `profileId2`), with the recorded value as
//! its default, and is put back as `{{var}}` wherever it appears.

use indexmap::IndexMap;
use regex::Regex;

use crate::scenario::placeholder;

/// Variables of a session: each distinct value of a path parameter.
#[derive(Default)]
pub(super) struct Vars {
    /// Variable name to recorded value, in order of first use.
    pub(super) values: IndexMap<String, String>,
    /// (parameter, value) to variable name.
    pub(super) names: Vec<(String, String, String)>,
    /// Every value, longest first, as one pattern (built by `seal`).
    pattern: Option<Regex>,
}

impl Vars {
    pub(super) fn name_for(&mut self, param: &str, value: &str) -> String {
        if let Some((_, _, var)) = self.names.iter().find(|(p, v, _)| p == param && v == value) {
            return var.clone();
        }
        let base = var_base(param);
        let var = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                }
            })
            .find(|v| !self.values.contains_key(v))
            .unwrap_or(base);
        self.values.insert(var.clone(), value.to_string());
        self.names
            .push((param.to_string(), value.to_string(), var.clone()));
        var
    }

    /// Prepares substitution; long values may be found inside longer text.
    pub(super) fn seal(&mut self) {
        let mut long: Vec<&String> = self.values.values().filter(|v| v.len() >= 8).collect();
        long.sort_by_key(|v| std::cmp::Reverse(v.len()));
        if !long.is_empty() {
            let alternation: Vec<String> = long.iter().map(|v| regex::escape(v)).collect();
            self.pattern = Regex::new(&alternation.join("|")).ok();
        }
    }

    pub(super) fn var_of(&self, value: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, v)| v.as_str() == value)
            .map(|(k, _)| k.as_str())
    }

    /// `text` with recorded values replaced by `{{var}}`: a whole value of any
    /// length, and values of 8 characters or more inside longer text.
    pub(super) fn substitute(&self, text: &str) -> String {
        if let Some(var) = self.var_of(text) {
            return placeholder(var);
        }
        match &self.pattern {
            Some(re) => re
                .replace_all(text, |c: &regex::Captures<'_>| {
                    placeholder(self.var_of(&c[0]).unwrap_or_default())
                })
                .into_owned(),
            None => text.to_string(),
        }
    }
}

/// A variable name from a parameter name: letters, digits and `_`.
fn var_base(param: &str) -> String {
    let mut s: String = param
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_values_get_numbered_variables() {
        let mut vars = Vars::default();
        assert_eq!(vars.name_for("profileId", "mem_profile_a"), "profileId");
        assert_eq!(vars.name_for("profileId", "mem_profile_b"), "profileId2");
        assert_eq!(vars.name_for("profileId", "mem_profile_a"), "profileId");
        assert_eq!(vars.name_for("id-type", "email"), "id_type");
        vars.seal();
        assert_eq!(vars.substitute("email"), "{{id_type}}");
        assert_eq!(vars.substitute("emails"), "emails");
        assert_eq!(vars.substitute("/x/mem_profile_b/y"), "/x/{{profileId2}}/y");
    }
}
