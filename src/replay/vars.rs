//! A scenario's variable values for one run: the built-ins (`run_id`, `uuid`,
//! `now`), then each declared variable in file order (`--var` first, else the
//! value for this kind of target, whose template may read what came before).
//!
//! Values are fixed once per scenario run and shared by every pass over it (the
//! target, its noise-learning second run, the reference), so both sides of a
//! comparison send exactly the same data.

use indexmap::IndexMap;
use rand::RngExt;

use crate::scenario::{placeholder, Scenario};

/// Crockford's base32, lower case: the alphabet of TypeIDs (Twilio's TTIDs).
const BASE32: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A fresh run id: a UUIDv7 written as a TypeID suffix, 26 lower-case base32
/// characters starting with 0-7. Time-ordered, unique, and valid where the
/// contract wants a TTID (`mem_profile_{{run_id}}`); lower case so a service
/// that normalizes values leaves it as it is.
///
/// # Examples
///
/// ```
/// let id = mimeo::replay::new_run_id();
/// assert_eq!(id.len(), 26);
/// assert!(('0'..='7').contains(&id.chars().next().unwrap()));
/// assert_ne!(id, mimeo::replay::new_run_id());
/// ```
pub fn new_run_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let random: u128 = rand::rng().random();
    // 48 bits of time, version 7, 74 random bits, variant 0b10.
    let mut v = (millis & ((1 << 48) - 1)) << 80;
    v |= 0x7 << 76;
    v |= ((random >> 100) & 0xfff) << 64;
    v |= 0b10 << 62;
    v |= random & ((1 << 62) - 1);
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        *slot = BASE32[((v >> shift) & 0x1f) as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A random UUID (version 4), lower case with dashes.
fn uuid() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The current time, RFC 3339 in UTC with milliseconds.
fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The values of `scenario`'s variables for one run against a target that is
/// (or is not) mimeo's mock. `Err` says which variables have no value there and
/// how to give them: the scenario is skipped.
pub(crate) fn resolve(
    scenario: &Scenario,
    overrides: &IndexMap<String, String>,
    run_id: &str,
    target_is_mock: bool,
) -> Result<IndexMap<String, String>, String> {
    let mut vars = IndexMap::new();
    vars.insert("run_id".to_string(), run_id.to_string());
    vars.insert("uuid".to_string(), uuid());
    vars.insert("now".to_string(), now());
    let mut missing = Vec::new();
    for (name, decl) in &scenario.vars {
        if let Some(v) = overrides.get(name) {
            vars.insert(name.clone(), v.clone());
            continue;
        }
        match decl.for_target(target_is_mock).map(|t| t.render(&vars)) {
            Some(Ok(v)) => {
                vars.insert(name.clone(), v);
            }
            // Reads a variable that itself has no value here.
            Some(Err(_)) | None => {
                let about = decl
                    .description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                missing.push(format!("--var {name}=...{about}"));
            }
        }
    }
    if missing.is_empty() {
        return Ok(vars);
    }
    Err(format!(
        "{} {} no value against a target that is not mimeo's mock; give {}",
        if missing.len() == 1 {
            "a variable"
        } else {
            "variables"
        },
        if missing.len() == 1 { "has" } else { "have" },
        missing.join(", ")
    ))
}

/// Why a step cannot be sent: a variable it reads has no value.
pub(crate) fn missing(name: &str, failed_at: Option<&str>) -> String {
    match failed_at {
        Some(at) => format!(
            "`{}` has no value: its capture in step {at} failed",
            placeholder(name)
        ),
        None => format!("`{}` has no value", placeholder(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_shapes() {
        let id = new_run_id();
        assert_eq!(id.len(), 26);
        assert!(id.bytes().all(|c| BASE32.contains(&c)), "{id}");
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4", "{u}");
        let t = now();
        assert!(t.ends_with('Z') && t.len() == 24, "{t}");
    }

    #[test]
    fn values_for_a_mock_and_for_a_real_target() {
        let contract = crate::Contract::embedded().unwrap();
        let text = "name: t
vars:
  store: {mock: mem_store_00000000000000000000000000, description: a store to delete}
  email: \"ada+{{run_id}}@example.com\"
  copy: \"{{email}}\"
steps:
  - request: {method: DELETE, path: \"/v1/ControlPlane/Stores/{{store}}\"}
";
        let s = crate::Scenario::from_text("t.yaml", text, &contract).unwrap();
        let none = IndexMap::new();
        let id = "01jd0000000000000000000000";
        let mock = resolve(&s, &none, id, true).unwrap();
        assert_eq!(mock["store"], "mem_store_00000000000000000000000000");
        assert_eq!(mock["copy"], format!("ada+{id}@example.com"));
        assert_eq!(mock["run_id"], id);
        let real = resolve(&s, &none, id, false).unwrap_err();
        assert!(
            real.contains("give --var store=... (a store to delete)"),
            "{real}"
        );
        let mut given = IndexMap::new();
        given.insert(
            "store".to_string(),
            "mem_store_00000000000000000000000001".to_string(),
        );
        assert_eq!(
            resolve(&s, &given, id, false).unwrap()["store"],
            "mem_store_00000000000000000000000001"
        );
    }
}
