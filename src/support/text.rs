//! Files people write (contracts, scenarios, configs, state models, seeds) read
//! as text: a file that is not UTF-8 is refused with the line and column of its
//! first bad byte, as every other error in such a file is placed.

use std::path::Path;

use crate::diagnostic::Diagnostic;

/// Reads `path` as UTF-8; `what` names the file in messages ("the seed").
pub(crate) fn read(path: &Path, what: &str) -> Result<String, Diagnostic> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::new(&name, format!("cannot read {what}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| not_utf8(&name, what, e.as_bytes(), e.utf8_error()))
}

/// Where in `bytes` the first byte that is not UTF-8 is, as a diagnostic.
fn not_utf8(name: &str, what: &str, bytes: &[u8], e: std::str::Utf8Error) -> Diagnostic {
    let valid = &bytes[..e.valid_up_to()];
    let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1);
    // The text before the bad byte is valid, so its characters can be counted.
    let column = String::from_utf8_lossy(&valid[line_start..])
        .chars()
        .count()
        + 1;
    Diagnostic::at_line(
        name,
        line,
        column,
        format!(
            "{what} is not UTF-8 text (byte 0x{:02x} at offset {})",
            bytes[e.valid_up_to()],
            e.valid_up_to()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_placed_by_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, b"name: x\nsteps: [\xc3\xa9, \xff]\n").unwrap();
        let e = read(&path, "the scenario").unwrap_err();
        assert_eq!(e.line_column(), Some((2, 12)), "{e}");
        assert!(
            e.to_string()
                .contains("the scenario is not UTF-8 text (byte 0xff at offset 20)"),
            "{e}"
        );
        let e = read(&dir.path().join("none.yaml"), "the seed").unwrap_err();
        assert!(e.to_string().contains("cannot read the seed: "), "{e}");
    }
}
