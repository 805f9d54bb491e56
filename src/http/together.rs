//! Answers that go out together. Writing an answer wakes the client that waits
//! for it, and when the client sleeps on another CPU that wake-up is an
//! inter-processor interrupt (a VM exit on a virtual machine): profiled under
//! 32 connections, a fifth of the mock's CPU time went to waking its client,
//! once per answer, because a server slower than its client finds it asleep
//! after every write.
//!
//! So a connection that has just read a request lets the other connections that
//! are ready in the same pass of the scheduler be handled before it writes its
//! answer (one deferred turn, as `tokio::task::yield_now` gives): the answers of
//! a pass are then written back to back, and the first one's wake-up finds the
//! client awake for the rest. Only the first write after a read waits, so a
//! long or dribbled body is not slowed further, and a server with fewer than
//! [`CROWD`] connections open does not wait at all: with a few clients (a
//! replay's four, a client calling in turn) there are too few answers in a
//! pass to share a wake-up, and the turn only delays each one. The turn costs
//! about 1,500 instructions per answer (the connection's task is polled once
//! more) and saves the wake-ups.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Connections open (this one included) from which an answer waits its turn.
/// Measured on the mix (`benches/mix.lua`, server and wrk pinned to one core
/// each): with 4 connections waiting cost 22% of the throughput (30,300
/// against 38,600 req/s) and replay against `mimeo serve` (4 connections) 15%
/// (0.72 against 0.60 s for 10,143 steps), while at 32 it gains (see above).
/// 5 to 7 connections were not measured: 8 is a round guess between the two.
const CROWD: usize = 8;

/// A connection's socket whose first write after each read waits one turn.
pub(crate) struct Together<S> {
    inner: S,
    /// Bytes were read since the last write: the next write waits its turn.
    read_since_write: bool,
    /// The last write attempt waited: the next one goes ahead.
    waited: bool,
    /// Connections open on this server, this one included.
    open: Arc<AtomicUsize>,
}

impl<S> Together<S> {
    /// `inner`, counted in `open` (one counter per server) while it lives.
    pub(crate) fn new(inner: S, open: Arc<AtomicUsize>) -> Together<S> {
        open.fetch_add(1, Ordering::Relaxed);
        Together {
            inner,
            read_since_write: false,
            waited: false,
            open,
        }
    }

    /// `true` when this write must wait: the task is then woken after the
    /// tasks already ready (and the event queue) have had their turn. A write
    /// waits at most once: bytes read during its turn (a client that keeps
    /// sending) do not put it off again.
    fn wait_turn(&mut self, cx: &mut Context<'_>) -> bool {
        let wait = self.read_since_write && !self.waited;
        self.read_since_write = false;
        self.waited = wait && self.open.load(Ordering::Relaxed) >= CROWD;
        if !self.waited {
            return false;
        }
        let mut turn = std::pin::pin!(tokio::task::yield_now());
        // The first poll of `yield_now` is always Pending, with the waker
        // deferred until the scheduler has run what is ready.
        std::future::Future::poll(turn.as_mut(), cx).is_pending()
    }
}

impl<S> Drop for Together<S> {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Together<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.read_since_write = true;
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Together<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.wait_turn(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.wait_turn(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Reads a request on a connection, answers it in two writes, and
    /// records the order beside a task that is ready at the same time.
    fn order_with(open_beside: usize) -> Vec<&'static str> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let open = Arc::new(AtomicUsize::new(0));
            let (a, mut b) = tokio::io::duplex(64);
            let beside: Vec<_> = (0..open_beside)
                .map(|_| Together::new(tokio::io::empty(), open.clone()))
                .collect();
            let order = Arc::new(Mutex::new(Vec::new()));
            b.write_all(b"request").await.unwrap();
            let o = order.clone();
            let conn = tokio::spawn(async move {
                let mut s = Together::new(a, open);
                let mut buf = [0u8; 7];
                s.read_exact(&mut buf).await.unwrap();
                o.lock().unwrap().push("read");
                s.write_all(b"answer").await.unwrap();
                o.lock().unwrap().push("answered");
                s.write_all(b"more").await.unwrap();
                o.lock().unwrap().push("more");
            });
            let o = order.clone();
            let other = tokio::spawn(async move {
                // Ready at once, queued after the connection's task.
                o.lock().unwrap().push("other");
            });
            conn.await.unwrap();
            other.await.unwrap();
            let mut got = [0u8; 10];
            b.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"answermore");
            drop(beside);
            let order = order.lock().unwrap().clone();
            order
        })
    }

    /// With a crowd of connections open, the first write after a read waits
    /// until a task that was ready before it has run.
    #[test]
    fn the_first_write_after_a_read_lets_ready_tasks_go_first() {
        assert_eq!(order_with(CROWD - 1), ["read", "other", "answered", "more"]);
    }

    /// A lone connection, or a few, write at once.
    #[test]
    fn a_few_connections_write_at_once() {
        assert_eq!(order_with(0), ["read", "answered", "more", "other"]);
        assert_eq!(order_with(CROWD - 2), ["read", "answered", "more", "other"]);
    }

    /// A client that keeps sending while an answer waits its turn does not
    /// put the answer off again: the next write goes ahead.
    #[test]
    fn an_answer_waits_one_turn_at_most() {
        // A crowd open, with this one.
        let open = Arc::new(AtomicUsize::new(CROWD - 1));
        let (a, mut client) = tokio::io::duplex(64);
        let mut s = Together::new(a, open);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut space = [0u8; 16];
        for (sent, write) in [(&b"req1"[..], false), (&b"more"[..], true)] {
            assert!(Pin::new(&mut client).poll_write(&mut cx, sent).is_ready());
            let mut buf = ReadBuf::new(&mut space);
            assert!(Pin::new(&mut s).poll_read(&mut cx, &mut buf).is_ready());
            assert_eq!(buf.filled(), sent);
            let polled = Pin::new(&mut s).poll_write(&mut cx, b"answer");
            if write {
                assert!(matches!(polled, Poll::Ready(Ok(6))), "{polled:?}");
            } else {
                assert!(polled.is_pending(), "the first attempt waits");
            }
        }
    }
}
