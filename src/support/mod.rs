//! Small building blocks every part of mimeo shares and none owns: durations as
//! people write them, JSON pointers, media types, files written safely, and the
//! bounds on what input can make mimeo hold or print. Each is written once here
//! so that the mock, the runner and the proxy can never disagree about what
//! `10s`, `~1` or `application/problem+json` means.

pub(crate) mod duration;
#[cfg(feature = "replay")]
pub(crate) mod files;
pub(crate) mod limits;
pub(crate) mod media;
pub(crate) mod pointer;
pub(crate) mod recent;
pub(crate) mod seen;
pub(crate) mod text;
pub(crate) mod yaml;
