//! Files mimeo writes (snapshots, recordings, reports): each is written whole or
//! not at all, through a temporary file with an unpredictable name created
//! exclusively in the same directory (the `tempfile` crate), then moved into
//! place, so an interrupted run never leaves half a file and a planted symlink
//! cannot redirect the write.

use std::io::{self, Write};
use std::path::Path;

/// Writes `text` to `path`, replacing what is there.
pub(crate) fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let file = temp_with(path, text)?;
    file.persist(path).map(|_| ()).map_err(|e| e.error)
}

/// Writes a report the user named (`--json`, `--junit`) to `path`, atomically.
/// A path that is a symbolic link is refused rather than replaced or written
/// through: a link planted where a report goes must not get another file
/// overwritten.
pub(crate) fn write_report(path: &Path, text: &str) -> io::Result<()> {
    refuse_link(path)?;
    write_atomic(path, text)
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
    let file = temp_with(path, text)?;
    file.persist_noclobber(path)
        .map(|_| ())
        .map_err(|e| e.error)
}

fn temp_with(path: &Path, text: &str) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".mimeo-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    Ok(file)
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
}
