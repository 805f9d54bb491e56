//! `mimeo serve --ready-file`: the URL in a file once the server listens, for
//! wrappers that cannot read stdout (the stdout line `mimeo: listening on URL`
//! says the same). A stale file from an earlier run is removed before binding,
//! and the file goes at shutdown, so its presence always means "listening now".

use std::io::{self, Write};
use std::path::Path;

/// Removes a file left by an earlier run; none is fine.
pub(crate) fn clear(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(format!(
            "cannot remove the old ready file {}: {e}",
            path.display()
        )),
        _ => Ok(()),
    }
}

/// Writes `url` and a newline whole or not at all: a temporary file in the same
/// directory, moved into place, so a poller never reads half a URL.
pub(crate) fn write(path: &Path, url: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail = |e: io::Error| format!("cannot write the ready file {}: {e}", path.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mimeo-ready-");
    // Readable as a file the user created would be (0666 less the umask), not the
    // temporary file's 0600: the wrapper polling it may run as another user.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(fail)?;
    file.write_all(format!("{url}\n").as_bytes())
        .map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
