//! Build-time facts for `mimeo --version`: the commit the binary was built from
//! and the embedded contract's title and version, so a binary found on a CI
//! machine says exactly what it is without being asked to start.
//!
//! The commit comes from `MIMEO_COMMIT` (set it when building from an export
//! without `.git`), else from git when the crate is its own repository, else
//! from `.cargo_vcs_info.json` (what `cargo package` leaves in a published
//! crate), else `unknown`. Nothing here fails a build.
//!
//! The embedded contract is read here from YAML into JSON, the form the binary
//! embeds: reading YAML took a third of the instructions of `mimeo serve`'s
//! start, JSON a tenth of that. The reading is the loader's own (src/contract/yaml.rs,
//! included below); a document it refuses is embedded as written, so the binary
//! reports the same error the loader would.
//!
//! Git is asked only for optimized builds (release, dist, `cargo install`):
//! watching HEAD makes cargo rebuild the whole package after every commit,
//! which development builds are spared (they say `unknown`).

use std::path::Path;
use std::process::Command;

#[allow(dead_code)]
#[path = "src/contract/yaml.rs"]
mod yaml;

const SPEC: &str = "spec/memory-v1.yaml";

fn main() {
    println!("cargo:rerun-if-env-changed=MIMEO_COMMIT");
    println!("cargo:rerun-if-changed={SPEC}");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&dir);

    let commit = std::env::var("MIMEO_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().to_string())
        .or_else(|| optimized().then(|| git_commit(dir)).flatten())
        .or_else(|| vcs_info_commit(dir))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=MIMEO_BUILD_COMMIT={commit}");

    let spec = std::fs::read_to_string(dir.join(SPEC)).unwrap_or_default();
    let (title, version) = contract_info(&spec);
    println!("cargo:rustc-env=MIMEO_CONTRACT_TITLE={title}");
    println!("cargo:rustc-env=MIMEO_CONTRACT_VERSION={version}");
    embed_as_json(&spec);
}

/// Writes `$OUT_DIR/embedded-contract`: the contract as compact JSON (key order
/// kept), or its text as written when it cannot be read.
fn embed_as_json(spec: &str) {
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return;
    };
    let json = yaml::to_json(spec)
        .ok()
        .and_then(|v| serde_json::to_string(&v).ok());
    let text = json.as_deref().unwrap_or(spec);
    let path = Path::new(&out).join("embedded-contract");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::write(&path, text).expect("cannot write the embedded contract into OUT_DIR");
    }
}

/// Not the `dev` or `test` profile (cargo names them `debug` here).
fn optimized() -> bool {
    std::env::var("PROFILE").is_ok_and(|p| p != "debug")
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// HEAD's commit, only when this crate is the top of its own repository (a
/// vendored copy inside another repository must not report that one's commit).
/// Asks cargo to run again when HEAD moves.
fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), dir) {
        return None;
    }
    // HEAD names the branch; the branch's ref file (or packed-refs) moves on commit.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    git(dir, &["rev-parse", "--short=12", "HEAD"])
}

/// `{"git": {"sha1": "…"}}`, written by `cargo package`.
fn vcs_info_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let rest = &text[text.find("\"sha1\"")? + 6..];
    let start = rest.find('"')? + 1;
    let sha: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 12).then(|| sha[..12].to_string())
}

/// `info.title` and `info.version` of the embedded contract, read line by line
/// (they are needed even when the YAML cannot be read, for `--version`).
/// tests/it/cli.rs checks them against
/// what the contract loader reads, so the two cannot drift apart.
fn contract_info(spec: &str) -> (String, String) {
    let (mut title, mut version) = (String::from("?"), String::from("?"));
    let mut in_info = false;
    for line in spec.lines() {
        if !line.starts_with([' ', '#']) && !line.is_empty() {
            in_info = line.trim_end() == "info:";
            continue;
        }
        if !in_info {
            continue;
        }
        let field = line.trim_start();
        // Only the first level under `info:` (two spaces), not nested keys.
        if line.len() - field.len() != 2 {
            continue;
        }
        if let Some(v) = field.strip_prefix("title:") {
            title = unquote(v);
        } else if let Some(v) = field.strip_prefix("version:") {
            version = unquote(v);
        }
    }
    (title, version)
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    v.to_string()
}
