//! Recording: the proxy's exchanges written as scenario files that `mimeo replay`
//! reads (the format of `conformance/README.md`).
//!
//! Exchanges are grouped into sessions, one per client address, that end after an
//! idle gap (or one session for the whole run). A session is written when it ends
//! and at shutdown, atomically, then loaded back with the scenario loader: a file
//! that does not load is a recorder bug and is reported loudly.
//!
//! What a recording holds: each request as the client sent it, with the values of
//! path parameters turned into variables (defaults: the recorded values), and the
//! status observed as the expectation. What it never holds: credentials. The
//! `Authorization` and `Cookie` headers, and any header or query parameter whose
//! name or value looks like a secret, are left out; the step says `auth:` instead,
//! and every credential the client sent is scrubbed from the text as a last guard.

mod render;
mod vars;
mod volatile;
mod yaml;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::Method;

use super::lock;
use crate::contract::Contract;
use crate::http::log::LogSink;
use crate::support::{duration, files::write_new};
use render::{render, utc};
pub(crate) use volatile::Volatile;

/// Where and how to record.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The directory the scenario files go to (created if missing).
    pub dir: PathBuf,
    /// A client's session ends after this long without a request; `None` records
    /// one scenario for the whole run.
    pub session_gap: Option<Duration>,
}

impl RecordOptions {
    /// Where and how the recording goes, for the start-up banner.
    pub fn describe(&self) -> String {
        let dir = self.dir.display();
        match self.session_gap {
            Some(gap) => format!(
                "{dir} (one scenario per client session; a session ends after {} idle)",
                duration::format(gap)
            ),
            None => format!("{dir} (one scenario for the whole run)"),
        }
    }
}

/// One scenario file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The file.
    pub file: PathBuf,
    /// Steps in it.
    pub steps: usize,
}

/// One exchange the target answered, as the recorder keeps it.
pub(crate) struct Exchange {
    /// Arrival order.
    pub seq: u64,
    /// The client's address (sessions are per client).
    pub client: IpAddr,
    /// When the request arrived.
    pub at: SystemTime,
    pub method: Method,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// The query as sent, without `?`.
    pub query: Option<String>,
    /// The client's headers, as sent.
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The target's status.
    pub status: u16,
    /// What in the answer changes from run to run.
    pub volatile: Volatile,
}

struct Session {
    /// `None` when every client shares one session (`--one-scenario`).
    client: Option<IpAddr>,
    started: SystemTime,
    last: Instant,
    exchanges: Vec<Exchange>,
    /// 1 for a session's first file, then 2, 3... for the files it continues in.
    part: usize,
    /// What the exchanges will take in the file, roughly.
    size: Size,
}

/// The most one scenario file holds, so that every file loads (the scenario
/// reader's budget: [`crate::support::yaml::MAX_NODES`] values and
/// [`crate::support::yaml::MAX_SCALAR_BYTES`] of text) and memory held for a
/// session stays small: a longer session continues in another file.
pub(crate) const MAX_STEPS_PER_FILE: usize = 1000;
/// Bytes of text per file (a quarter of the reader's budget).
pub(crate) const MAX_FILE_BYTES: usize = crate::support::yaml::MAX_SCALAR_BYTES / 4;
/// Values per file (less than half the reader's budget).
const MAX_FILE_NODES: usize = crate::support::yaml::MAX_NODES * 2 / 5;
/// Bytes held in open sessions, all clients together; past it, the largest one
/// is written (and continues in another file).
const MAX_HELD_BYTES: usize = 256 * 1024 * 1024;

/// What exchanges will take in a scenario file, roughly (an upper bound).
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    bytes: usize,
    nodes: usize,
}

impl Size {
    fn of(e: &Exchange) -> Size {
        let headers: usize = e
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 8)
            .sum();
        let bytes =
            e.path.len() + e.query.as_ref().map_or(0, String::len) + headers + e.body.len() + 256;
        // A body written as JSON is one value per `,`, `:`, `[` or `{`, at most;
        // one written as text is one value.
        let body_nodes = render::json_nodes(&e.body).min(render::MAX_BODY_NODES) + 1;
        let query_nodes = e.query.as_ref().map_or(0, |q| q.matches('&').count() + 1) * 2;
        Size {
            bytes,
            nodes: 24 + 2 * e.headers.len() + query_nodes + body_nodes,
        }
    }

    fn add(&mut self, other: Size) {
        self.bytes += other.bytes;
        self.nodes += other.nodes;
    }

    /// Whether a file with `steps` steps of this size is full.
    fn full(&self, steps: usize) -> bool {
        steps >= MAX_STEPS_PER_FILE || self.bytes >= MAX_FILE_BYTES || self.nodes >= MAX_FILE_NODES
    }
}

/// Collects exchanges into sessions and writes them.
pub(crate) struct Recorder {
    contract: Arc<Contract>,
    opts: RecordOptions,
    /// The target as shown in recordings (credentials in its URL hidden).
    target: String,
    /// Credentials known before any traffic (those in the target URL): scrubbed
    /// from every recording.
    known_secrets: Vec<String>,
    log: Option<Arc<LogSink>>,
    open: Mutex<Vec<Session>>,
    next: AtomicUsize,
    written: Mutex<Vec<Recording>>,
    errors: Mutex<Vec<String>>,
    /// Files being written on blocking threads, waited for at shutdown.
    writing: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Recorder {
    /// A recorder writing to `opts.dir`: created now, and a file written and removed
    /// in it, so a directory that cannot hold the recording stops the start
    /// instead of losing the recording at shutdown.
    pub(crate) fn new(
        contract: Arc<Contract>,
        opts: RecordOptions,
        target: &str,
        known_secrets: Vec<String>,
        log: Option<Arc<LogSink>>,
    ) -> Result<Recorder, String> {
        if opts.dir.exists() && !opts.dir.is_dir() {
            // create_dir_all would only say "File exists".
            return Err(format!(
                "--record {}: it is a file, not a directory; give the directory recordings go to",
                opts.dir.display()
            ));
        }
        std::fs::create_dir_all(&opts.dir)
            .map_err(|e| format!("--record {}: {e}", opts.dir.display()))?;
        tempfile::Builder::new()
            .prefix(".mimeo-")
            .tempfile_in(&opts.dir)
            .map_err(|e| format!("--record {}: cannot write there: {e}", opts.dir.display()))?;
        Ok(Recorder {
            contract,
            opts,
            target: target.to_string(),
            known_secrets,
            log,
            open: Mutex::new(Vec::new()),
            next: AtomicUsize::new(1),
            written: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            writing: Mutex::new(Vec::new()),
        })
    }

    /// How often idle sessions are looked for: a quarter of the gap, between 10 ms and 1 s.
    pub(crate) fn tick(&self) -> Option<Duration> {
        self.opts
            .session_gap
            .map(|g| (g / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)))
    }

    /// Adds an answered exchange to its client's session; a session of that client
    /// that has been idle longer than the gap ends first and is written, and so is
    /// one that is full (it continues in another file).
    pub(crate) fn add(self: &Arc<Self>, exchange: Exchange) {
        let now = Instant::now();
        let key = self.opts.session_gap.map(|_| exchange.client);
        let size = Size::of(&exchange);
        let mut ended = Vec::new();
        {
            let mut open = lock(&self.open);
            if let Some(gap) = self.opts.session_gap {
                if let Some(i) = open
                    .iter()
                    .position(|s| s.client == key && now.duration_since(s.last) > gap)
                {
                    ended.push(open.remove(i));
                }
            }
            let mut part = 1;
            if let Some(i) = open.iter().position(|s| s.client == key) {
                let s = &open[i];
                let mut after = s.size;
                after.add(size);
                if !s.exchanges.is_empty() && after.full(s.exchanges.len()) {
                    part = s.part + 1;
                    ended.push(open.remove(i));
                }
            }
            match open.iter_mut().find(|s| s.client == key) {
                Some(s) => {
                    s.last = now;
                    s.size.add(size);
                    s.exchanges.push(exchange);
                }
                None => open.push(Session {
                    client: key,
                    started: exchange.at,
                    last: now,
                    exchanges: vec![exchange],
                    part,
                    size,
                }),
            }
            // All clients together hold at most so much: the largest session is
            // written early, and continues in another file.
            let held: usize = open.iter().map(|s| s.size.bytes).sum();
            if held > MAX_HELD_BYTES {
                if let Some(i) = (0..open.len()).max_by_key(|&i| open[i].size.bytes) {
                    let s = open.remove(i);
                    open.push(Session {
                        client: s.client,
                        started: SystemTime::now(),
                        last: s.last,
                        exchanges: Vec::new(),
                        part: s.part + 1,
                        size: Size::default(),
                    });
                    ended.push(s);
                }
            }
        }
        for s in ended {
            self.write_soon(s);
        }
    }

    /// Writes a session on a blocking thread (rendering and loading a large file
    /// back takes a while, and must not hold up the exchanges being served).
    fn write_soon(self: &Arc<Self>, session: Session) {
        if session.exchanges.is_empty() {
            return;
        }
        let me = Arc::clone(self);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                let task = rt.spawn_blocking(move || me.write(session, true));
                let mut writing = lock(&self.writing);
                writing.retain(|t| !t.is_finished());
                writing.push(task);
            }
            Err(_) => me.write(session, true),
        }
    }

    /// Writes the sessions that have been idle longer than the gap.
    pub(crate) fn flush_idle(self: &Arc<Self>) {
        let Some(gap) = self.opts.session_gap else {
            return;
        };
        let now = Instant::now();
        let ended: Vec<Session> = {
            let mut open = lock(&self.open);
            let (ended, still) = std::mem::take(&mut *open)
                .into_iter()
                .partition(|s| now.duration_since(s.last) > gap);
            *open = still;
            ended
        };
        ended.into_iter().for_each(|s| self.write_soon(s));
    }

    /// Writes every open session, and waits for the files being written (at
    /// shutdown, where the summary lists the files).
    pub(crate) async fn flush_all(self: &Arc<Self>) {
        let all = std::mem::take(&mut *lock(&self.open));
        for s in all.into_iter().filter(|s| !s.exchanges.is_empty()) {
            let me = Arc::clone(self);
            let task = tokio::task::spawn_blocking(move || me.write(s, false));
            lock(&self.writing).push(task);
        }
        loop {
            let tasks = std::mem::take(&mut *lock(&self.writing));
            if tasks.is_empty() {
                break;
            }
            for t in tasks {
                let _ = t.await;
            }
        }
    }

    /// The files written so far.
    pub(crate) fn written(&self) -> Vec<Recording> {
        lock(&self.written).clone()
    }

    /// Recordings that could not be written or do not load.
    pub(crate) fn errors(&self) -> Vec<String> {
        lock(&self.errors).clone()
    }

    /// Writes one session; `announce` logs the file (unless quiet).
    fn write(&self, mut session: Session, announce: bool) {
        session.exchanges.sort_by_key(|e| e.seq);
        let stamp = utc(session.started, "%Y%m%dT%H%M%SZ");
        // Another proxy may record into the same directory: a name taken between
        // choosing it and writing it is skipped, never overwritten.
        let path = loop {
            let path = self.free_path(&stamp);
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let rendered = render(
                &self.contract,
                &session.exchanges,
                &name,
                &self.target,
                &self.known_secrets,
                session.part,
            );
            if rendered.steps == 0 {
                self.error(format!(
                    "a session of {} exchange(s) had nothing a scenario can hold; no file written",
                    session.exchanges.len()
                ));
                return;
            }
            match write_new(&path, &rendered.text) {
                Ok(()) => break (path, rendered.steps),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    self.error(format!("cannot write {}: {e}", path.display()));
                    return;
                }
            }
        };
        let (path, steps) = path;
        if let Err(errors) = crate::scenario::Scenario::from_file(&path, &self.contract) {
            let list: Vec<String> = errors.iter().take(5).map(ToString::to_string).collect();
            self.error(format!(
                "BUG: the recording {} does not load as a scenario; please report it: {}",
                path.display(),
                list.join("; ")
            ));
        }
        if announce {
            self.log(&format!(
                "mimeo proxy: recorded {} ({steps} steps)",
                path.display()
            ));
        }
        lock(&self.written).push(Recording { file: path, steps });
    }

    fn error(&self, message: String) {
        self.log(&format!("mimeo proxy: recording: {message}"));
        lock(&self.errors).push(message);
    }

    fn log(&self, line: &str) {
        if let Some(log) = &self.log {
            log.push(|buf| {
                buf.extend_from_slice(line.as_bytes());
                buf.push(b'\n');
            });
        }
    }

    /// `session-<stamp>-<n>.yaml` that does not exist yet.
    fn free_path(&self, stamp: &str) -> PathBuf {
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let path = self.opts.dir.join(format!("session-{stamp}-{n}.yaml"));
            if !path.exists() {
                return path;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let contract = Arc::new(Contract::embedded().unwrap());
        let opts = RecordOptions {
            dir: dir.path().to_path_buf(),
            session_gap: None,
        };
        let recorder = Recorder::new(contract, opts, "http://t", Vec::new(), None).unwrap();
        std::fs::write(dir.path().join("session-S-1.yaml"), "taken").unwrap();
        std::fs::write(dir.path().join("session-S-2.yaml"), "taken").unwrap();
        assert_eq!(recorder.free_path("S"), dir.path().join("session-S-3.yaml"));
        assert_eq!(recorder.free_path("S"), dir.path().join("session-S-4.yaml"));
    }
}
