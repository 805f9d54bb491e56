//! The per-request log on stderr, written in batches: a line joins the pending
//! batch, and the first line of a batch schedules one write for after the
//! requests that are ready now have been answered. Under load that is one write
//! for many requests instead of one each; a lone request's line is written at
//! once. Lines are never reordered. Nothing is logged unless the caller asks.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// A batched writer of log lines to stderr.
#[derive(Default)]
pub(crate) struct LogSink {
    pending: Mutex<Vec<u8>>,
    /// Held while a batch is taken and written, so batches leave in order.
    writer: Mutex<()>,
}

impl LogSink {
    /// Adds one line, written by `line` into the batch (newline included).
    pub(crate) fn push(self: &Arc<Self>, line: impl FnOnce(&mut Vec<u8>)) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let first = pending.is_empty();
        line(&mut pending);
        drop(pending);
        if first {
            let sink = self.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                sink.flush();
            });
        }
    }

    /// Writes what is pending now.
    pub(crate) fn flush(&self) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let batch =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if !batch.is_empty() {
            let _ = std::io::stderr().lock().write_all(&batch);
        }
    }
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
}
