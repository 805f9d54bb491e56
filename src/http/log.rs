//! The per-request log on stderr, written by a thread of its own so that logging
//! never holds up request handling: a line joins the pending batch and the
//! writer takes whatever is pending at once, so under load one write serves many
//! requests, and a lone request's line is written at once. Lines are never
//! reordered.
//!
//! Nothing here can grow or block without bound: each line is cut at
//! [`MAX_LOG_LINE`] bytes and its control characters are escaped (a value from a
//! client cannot move the cursor of the terminal reading the log), and when
//! nobody reads stderr (a full pipe) the batch stops growing at
//! [`MAX_PENDING`]: further lines are dropped and counted, and the count is
//! written as soon as stderr takes text again. Nothing is logged unless the
//! caller asks.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::support::limits::MAX_LOG_LINE;

/// The most log text held while stderr is not taking it.
const MAX_PENDING: usize = 1024 * 1024;

/// The most capacity the writer keeps for the next batch (a batch under heavy
/// load, 10 ms of lines, is about 100 KiB).
const SPARE_MAX: usize = 256 * 1024;

/// How long the writer lets lines gather after each write.
const BATCH_PAUSE: Duration = Duration::from_millis(10);

/// How long [`LogSink::flush`] waits for stderr to take what is pending.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// A writer of log lines to stderr, on its own thread.
#[derive(Default)]
pub(crate) struct LogSink {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when there is text to write, and when a write is done.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// Lines dropped since the last notice.
    dropped: u64,
    /// The writer is in a write (stderr may be blocking it).
    writing: bool,
    /// The writer thread is running.
    started: bool,
}

impl Drop for LogSink {
    fn drop(&mut self) {
        // The writer thread ends with the last reference (see `run`).
        self.shared.changed.notify_all();
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LogSink {
    /// Adds one line, written by `line` into the batch (newline included). It is
    /// cut to [`MAX_LOG_LINE`] bytes and its control characters are escaped; when
    /// stderr is not being read and the batch is full, it is dropped and counted.
    pub(crate) fn push(&self, line: impl FnOnce(&mut Vec<u8>)) {
        let mut state = lock(&self.shared.state);
        let start = state.pending.len();
        line(&mut state.pending);
        tidy(&mut state.pending, start);
        if state.pending.len() > MAX_PENDING {
            state.pending.truncate(start);
            state.dropped += 1;
            return;
        }
        let first = start == 0;
        if !state.started {
            state.started = true;
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("mimeo-log".into())
                .spawn(move || run(&shared));
            if spawned.is_err() {
                // No thread: nothing is ever written, but nothing blocks either.
                state.started = false;
                state.pending.clear();
                return;
            }
        }
        drop(state);
        if first {
            self.shared.changed.notify_all();
        }
    }

    /// Waits (a little) for what is pending to be written: at shutdown, so the
    /// last lines are not lost. Never waits long for a stderr nobody reads.
    pub(crate) fn flush(&self) {
        let deadline = Instant::now() + FLUSH_WAIT;
        let mut state = lock(&self.shared.state);
        while state.started && (!state.pending.is_empty() || state.writing || state.dropped > 0) {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The writer: takes the whole pending batch, writes it, repeats; ends when the
/// sink is gone and nothing is pending.
fn run(shared: &Arc<Shared>) {
    // The batch written last, emptied, becomes the next pending one: a fresh
    // buffer would be grown (and copied) a doubling at a time under load, by
    // the requests' threads, for every batch. One grown by a burst (up to about
    // twice `MAX_PENDING`) is cut back to `SPARE_MAX` first, so an idle server
    // does not keep it.
    let mut spare = Vec::new();
    let mut state = lock(&shared.state);
    loop {
        if state.pending.is_empty() && state.dropped == 0 {
            // Only the writer's own reference left: the sink was dropped.
            if Arc::strong_count(shared) == 1 {
                return;
            }
            state = shared
                .changed
                .wait_timeout(state, Duration::from_millis(500))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            continue;
        }
        let mut batch = std::mem::replace(&mut state.pending, std::mem::take(&mut spare));
        let dropped = std::mem::take(&mut state.dropped);
        state.writing = true;
        drop(state);
        if dropped > 0 {
            let notice = format!(
                "mimeo: {dropped} log line(s) dropped: stderr was not being read fast enough\n"
            );
            batch.splice(0..0, notice.into_bytes());
        }
        let _ = std::io::stderr().lock().write_all(&batch);
        batch.clear();
        batch.shrink_to(SPARE_MAX);
        spare = batch;
        state = lock(&shared.state);
        state.writing = false;
        shared.changed.notify_all();
        if Arc::strong_count(shared) > 1 {
            // Lines gather for a moment before the next write: waking this
            // thread for every line would cost a context switch per request on
            // the core that serves them. People reading a log do not see 10 ms.
            drop(state);
            std::thread::sleep(BATCH_PAUSE);
            state = lock(&shared.state);
        }
    }
}

/// Cuts the line written from `start` to [`MAX_LOG_LINE`] bytes and escapes its
/// control characters (the final newline stays).
fn tidy(buf: &mut Vec<u8>, start: usize) {
    let line = &buf[start..];
    let body_len = line.strip_suffix(b"\n").map_or(line.len(), <[u8]>::len);
    let needs_escape = has_control(&line[..body_len]);
    if body_len <= MAX_LOG_LINE && !needs_escape {
        if body_len == line.len() {
            buf.push(b'\n');
        }
        return;
    }
    let text = String::from_utf8_lossy(&buf[start..start + body_len]).into_owned();
    let text = crate::support::limits::printable(&text, false);
    let text = crate::support::limits::truncate(&text, MAX_LOG_LINE);
    buf.truncate(start);
    buf.extend_from_slice(text.as_bytes());
    buf.push(b'\n');
}

/// Whether `bytes` hold a control character other than tab. Many bytes at a
/// time: every request's log line passes through here.
fn has_control(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let control = |b: u8| b < 0x20 && b != b'\t' || b == 0x7f;
    // A byte below 0x20, or equal to 0x7f, sets its high bit here (exact for
    // "is there one"; the bytes are then looked at one by one).
    let flags = |chunk: &[u8]| {
        let x = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let del = x ^ (ONES * 0x7f);
        let del = del.wrapping_sub(ONES) & !del & HIGH;
        below | del
    };
    // Four words tested at once: one branch per 32 bytes.
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        let any = flags(&b[..8]) | flags(&b[8..16]) | flags(&b[16..24]) | flags(&b[24..]);
        if any != 0 && b.iter().any(|&b| control(b)) {
            return true;
        }
    }
    let mut chunks = blocks.remainder().chunks_exact(8);
    for chunk in &mut chunks {
        if flags(chunk) != 0 && chunk.iter().any(|&b| control(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| control(b))
}

/// Appends `n` in decimal without the formatting machinery (this runs per request).
pub(crate) fn push_decimal(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

/// Appends `ip` as its `Display` writes it; an IPv4 address without the
/// formatting machinery (the proxy's log line).
#[cfg(feature = "proxy")]
pub(crate) fn push_ip(buf: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            // Made whole on the stack and copied once: a push per digit and a
            // copy per octet cost several times as much (every exchange's line).
            let mut text = [0u8; 15];
            let mut n = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    text[n] = b'.';
                    n += 1;
                }
                if octet >= 100 {
                    text[n] = b'0' + octet / 100;
                    n += 1;
                }
                if octet >= 10 {
                    text[n] = b'0' + octet / 10 % 10;
                    n += 1;
                }
                text[n] = b'0' + octet % 10;
                n += 1;
            }
            buf.extend_from_slice(&text[..n]);
        }
        std::net::IpAddr::V6(v6) => buf.extend_from_slice(v6.to_string().as_bytes()),
    }
}

/// Appends `micros` as milliseconds with two decimals (`12.34ms`).
pub(crate) fn push_millis(buf: &mut Vec<u8>, micros: u128) {
    push_decimal(buf, (micros / 1000) as u64);
    let hundredths = (micros % 1000 / 10) as u8;
    buf.extend_from_slice(&[b'.', b'0' + hundredths / 10, b'0' + hundredths % 10]);
    buf.extend_from_slice(b"ms");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_without_format() {
        let mut b = Vec::new();
        push_decimal(&mut b, 0);
        b.push(b' ');
        push_millis(&mut b, 12_345);
        assert_eq!(b, b"0 12.34ms");
    }

    #[test]
    #[cfg(feature = "proxy")]
    fn addresses_as_display_writes_them() {
        let ips = [
            "0.0.0.0",
            "127.0.0.1",
            "10.200.3.255",
            "255.99.100.9",
            "::1",
            "fe80::1:2",
        ];
        for ip in ips {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let mut b = Vec::new();
            push_ip(&mut b, ip);
            assert_eq!(String::from_utf8(b).unwrap(), ip.to_string());
        }
    }

    #[test]
    fn control_characters_are_found_anywhere() {
        let all: Vec<u8> = (0x20u8..0x7f).chain([b'\t', 0x80, 0xff]).collect();
        // Whole blocks of 32 and a short tail; then words of 8 too.
        for clean in [&all[..], &all[..45]] {
            assert!(!has_control(clean));
            for bad in (0u8..0x20).filter(|&b| b != b'\t').chain([0x7f]) {
                for at in 0..clean.len() {
                    let mut line = clean.to_vec();
                    line[at] = bad;
                    assert!(has_control(&line), "{bad:#x} at {at} of {}", clean.len());
                }
            }
        }
    }

    #[test]
    fn lines_are_cut_and_escaped() {
        let mut b = b"kept\n".to_vec();
        b.extend_from_slice(b"a\x1b[2Jb\r\n");
        tidy(&mut b, 5);
        assert_eq!(b, b"kept\na\\u{1b}[2Jb\\u{d}\n");
        let mut b = vec![b'x'; MAX_LOG_LINE + 10];
        tidy(&mut b, 0);
        assert!(b.len() < MAX_LOG_LINE + 40, "{}", b.len());
        assert!(b.ends_with(b" bytes in all)\n"));
    }
}
