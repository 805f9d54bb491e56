//! Files mimeo writes (snapshots, recordings, reports): each is written whole or
//! not at all, through a temporary file with an unpredictable name created
//! exclusively in the same directory (the `tempfile` crate), then moved into
//! place, so an interrupted run never leaves half a file and a planted symlink
//! cannot redirect the write. The file ends up with the mode a plain
//! `File::create` gives (0666 less the umask, or the mode of the file it
//! replaces), not the temporary file's private 0600, so that a report written
//! in a container stays readable by the CI user that reads it.

use std::io::{self, Write};
use std::path::Path;

/// Writes `text` to `path`, replacing what is there.
pub(crate) fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    write_atomic_parts(path, &[text.as_bytes()])
}

/// [`write_atomic`] for a text made of `parts`, written one after the other
/// (a large report is not copied into one piece first).
fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let file = temp_with(path, parts)?;
    file.persist(path).map(|_| ()).map_err(|e| e.error)
}

/// Writes a report the user named (`--json`, `--junit`) to `path`, atomically.
/// A path that is a symbolic link is refused rather than replaced or written
/// through: a link planted where a report goes must not get another file
/// overwritten.
pub(crate) fn write_report(path: &Path, text: &str) -> io::Result<()> {
    write_report_in_parts(path, &[text.as_bytes()])
}

/// The same for a report made of `parts` (see [`write_atomic_parts`]).
pub(crate) fn write_report_in_parts(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    refuse_link(path)?;
    write_atomic_parts(path, parts)
}

/// An error when `path` is a symbolic link.
pub(crate) fn refuse_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::other(
            "it is a symbolic link; give the path of a regular file (mimeo does not write through links)",
        )),
        _ => Ok(()),
    }
}

#[cfg(feature = "proxy")]
/// Writes `text` to `path` only if no file has that name; an existing file is
/// never replaced (`AlreadyExists`), even by a writer racing this one.
pub(crate) fn write_new(path: &Path, text: &str) -> io::Result<()> {
    let file = temp_with(path, &[text.as_bytes()])?;
    file.persist_noclobber(path)
        .map(|_| ())
        .map_err(|e| e.error)
}

fn temp_with(path: &Path, parts: &[&[u8]]) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mimeo-").suffix(".tmp");
    // The file is never wider than it ends up: created with the mode of the
    // file it replaces (else 0666, narrowed by the umask when created, as
    // open(2) does for File::create), and only then given that mode exactly.
    // (Widening it after creation would leave a moment when another user could
    // open a file its owner made private.)
    #[cfg(unix)]
    let kept = mode_of(path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(kept.unwrap_or(0o666)));
    }
    let mut file = builder.tempfile_in(dir)?;
    #[cfg(unix)]
    if let Some(mode) = kept {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    for part in parts {
        file.write_all(part)?;
    }
    file.as_file().sync_all()?;
    Ok(file)
}

/// The permission bits of the regular file at `path`, if there is one: a
/// report or snapshot rewritten keeps the mode the user gave it.
#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Some(m.permissions().mode() & 0o777),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_replaces_a_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        write_new(&path, "first").unwrap();
        let err = write_new(&path, "second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        write_atomic(&path, "third").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "third");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_written_file_gets_the_mode_file_create_would() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let fresh = dir.path().join("fresh.json");
        let plain = dir.path().join("plain.json");
        write_atomic(&fresh, "{}").unwrap();
        std::fs::File::create(&plain).unwrap();
        assert_eq!(mode(&fresh), mode(&plain));
        let kept = dir.path().join("kept.xml");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_report(&kept, "new").unwrap();
        assert_eq!(mode(&kept), 0o640);
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "new");
    }
}
