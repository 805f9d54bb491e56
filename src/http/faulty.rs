//! Faults below HTTP. hyper writes well-formed responses and nothing else, so a
//! reset, an empty reply, a broken chunk or garbage cannot be a response: every
//! accepted socket is wrapped in a [`FaultyStream`], and a request handler that
//! decides on a fault arms its connection's [`Conn`]. The next write hyper makes
//! (the response head) is then replaced by the fault: a reset (`SO_LINGER` 0,
//! then close), a close with nothing sent, a `200` whose chunk is garbage, or
//! random bytes; then the connection ends. Unarmed, the wrapper only passes
//! bytes through (one atomic load per write).
//!
//! It also holds back the end of input of a client that shut its sending side
//! right after its request, while that request is handled (up to [`HOLD_END`])
//! and until its answer's body is written: hyper takes that end, seen while the
//! request is still being answered, for a client gone, and drops the request
//! unanswered or cuts its body (see [`Conn::answering`] and [`Sending`]).

use std::future::Future as _;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::respond::fault::Fault;

/// One accepted connection, as request handlers see it: the client's address,
/// and the fault to break the connection with.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) peer: SocketAddr,
    armed: AtomicU8,
    /// Where the connection's request is: [`IDLE`], [`HANDLING`] (until its
    /// delay, if it has one) or [`SENDING`] (its body being written).
    phase: AtomicU8,
    /// The read waiting for the answer before it reports the end of input.
    held: Mutex<Option<Waker>>,
    /// Whether `held` may hold a waker: the lock is taken only then, not for
    /// every request answered.
    holding: AtomicBool,
}

/// The longest an end of input is held back while a request is handled: a
/// client that closed in the middle of its body is let go after this.
const HOLD_END: Duration = Duration::from_secs(1);

/// No request is being answered: an end of input is a client gone.
const IDLE: u8 = 0;
/// A request is being handled: an end of input is held back, up to [`HOLD_END`].
const HANDLING: u8 = 1;
/// Its answer's body is being written (a dribble takes seconds): an end of
/// input is held back until the body is sent, or a write fails. A read cannot
/// tell a client that shut only its sending side from one that closed
/// entirely, so a client gone during a dribble is found at the next piece
/// written (its connection held until then), as most servers find it.
const SENDING: u8 = 2;

impl Conn {
    pub(crate) fn new(peer: SocketAddr) -> Conn {
        Conn {
            peer,
            armed: AtomicU8::new(0),
            phase: AtomicU8::new(IDLE),
            held: Mutex::new(None),
            holding: AtomicBool::new(false),
        }
    }

    /// Marks a request as being answered (`true`) or answered (`false`). While
    /// it is, an end of input is held back from hyper (see [`HANDLING`] and
    /// [`SENDING`]), so a client that shut its sending side after the request
    /// still gets the whole answer; after it (or during a delay) the end is a
    /// client gone, whose request hyper then stops waiting on.
    pub(crate) fn answering(&self, yes: bool) {
        // SeqCst with `hold_end`'s: either it sees the answer done, or this
        // sees its waker stored.
        self.phase
            .store(if yes { HANDLING } else { IDLE }, Ordering::SeqCst);
        if !yes {
            self.wake_held();
        }
    }

    /// The answer's body is written (or given up on): a held end of input
    /// goes to hyper. Only from [`SENDING`]: a request let go during its
    /// delay is already [`IDLE`], and nothing else's phase is reset.
    fn sent(&self) {
        if self
            .phase
            .compare_exchange(SENDING, IDLE, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.wake_held();
        }
    }

    /// Wakes the read holding back an end of input, if one is.
    fn wake_held(&self) {
        if self.holding.swap(false, Ordering::SeqCst) {
            let waiting = self
                .held
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(waker) = waiting {
                waker.wake();
            }
        }
    }

    /// The handled answer's body is being written: an end of input waits for
    /// it (see [`SENDING`]). A request let go during its delay stays let go.
    pub(crate) fn sending(&self) {
        let _ = self
            .phase
            .compare_exchange(HANDLING, SENDING, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// The phase in which an end of input is seen ([`IDLE`]: report it now);
    /// otherwise `cx` is woken when the answer is done.
    fn hold_end(&self, cx: &Context<'_>) -> u8 {
        if self.phase.load(Ordering::SeqCst) == IDLE {
            return IDLE;
        }
        *self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cx.waker().clone());
        self.holding.store(true, Ordering::SeqCst);
        // Again: the answer may have been done meanwhile (then nobody wakes us).
        self.phase.load(Ordering::SeqCst)
    }

    /// Breaks the connection with `fault` instead of the response being sent.
    pub(crate) fn arm(&self, fault: Fault) {
        let code = match fault {
            Fault::ConnectionResetByPeer => 1,
            Fault::EmptyResponse => 2,
            Fault::MalformedResponseChunk => 3,
            Fault::RandomDataThenClose => 4,
        };
        self.armed.store(code, Ordering::Release);
    }

    fn take(&self) -> Option<Fault> {
        if self.armed.load(Ordering::Acquire) == 0 {
            return None;
        }
        match self.armed.swap(0, Ordering::AcqRel) {
            1 => Some(Fault::ConnectionResetByPeer),
            2 => Some(Fault::EmptyResponse),
            3 => Some(Fault::MalformedResponseChunk),
            4 => Some(Fault::RandomDataThenClose),
            _ => None,
        }
    }
}

/// An answer's body, marking its connection [`SENDING`] until hyper has
/// written it all (or given up on it) and drops it.
pub(crate) struct Sending<B> {
    body: B,
    conn: Arc<Conn>,
}

impl<B> Sending<B> {
    pub(crate) fn new(body: B, conn: Arc<Conn>) -> Sending<B> {
        conn.sending();
        Sending { body, conn }
    }
}

impl<B> Drop for Sending<B> {
    fn drop(&mut self) {
        self.conn.sent();
    }
}

impl<B: Body + Unpin> Body for Sending<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A socket that can break on purpose.
pub(crate) struct FaultyStream {
    inner: TcpStream,
    conn: Arc<Conn>,
    /// Bytes of a fault still to write, and how many are written.
    garbage: Option<(Vec<u8>, usize)>,
    /// The fault was carried out: every further write fails.
    broken: bool,
    /// A reset: the socket is dropped without a FIN, so the close sends RST.
    reset: bool,
    /// The end of input being held back, until this deadline at most.
    hold: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FaultyStream {
    pub(crate) fn new(inner: TcpStream, conn: Arc<Conn>) -> FaultyStream {
        FaultyStream {
            inner,
            conn,
            garbage: None,
            broken: false,
            reset: false,
            hold: None,
        }
    }

    /// Starts the armed fault, if any; `true` when one is under way.
    fn start_fault(&mut self) -> bool {
        if self.broken || self.garbage.is_some() {
            return true;
        }
        let Some(fault) = self.conn.take() else {
            return false;
        };
        match fault {
            Fault::ConnectionResetByPeer => {
                // Closing with a zero linger sends RST instead of FIN.
                let _ = self.inner.set_zero_linger();
                self.broken = true;
                self.reset = true;
            }
            Fault::EmptyResponse => self.broken = true,
            Fault::MalformedResponseChunk => {
                let mut bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                // Not a hexadecimal chunk size: no client can read past it.
                bytes.extend_from_slice(b"MALFORMED-CHUNK\r\n");
                bytes.extend(random_bytes(32));
                self.garbage = Some((bytes, 0));
            }
            Fault::RandomDataThenClose => {
                let mut bytes = random_bytes(64);
                // Never the start of a status line.
                bytes[0] = b'\x01';
                self.garbage = Some((bytes, 0));
            }
        }
        true
    }

    /// Writes what is left of the garbage, then closes the write side.
    fn poll_fault(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        while let Some((bytes, at)) = &mut self.garbage {
            if *at >= bytes.len() {
                self.garbage = None;
                self.broken = true;
                break;
            }
            match ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*at..])) {
                Ok(0) | Err(_) => {
                    self.garbage = None;
                    self.broken = true;
                }
                Ok(n) => *at += n,
            }
        }
        if !self.reset {
            let _ = ready!(Pin::new(&mut self.inner).poll_shutdown(cx));
        }
        Poll::Ready(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the connection was broken on purpose (a fault)",
        ))
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::RngExt::fill(&mut rand::rng(), &mut bytes[..]);
    bytes
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(())))
            && buf.filled().len() == before
            && buf.remaining() > 0
        {
            return self.end_of_input(cx);
        }
        read
    }
}

impl FaultyStream {
    /// The client's end of input: reported now, or held back while its
    /// request is answered (see [`Conn::answering`]).
    #[cold]
    fn end_of_input(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.conn.hold_end(cx) {
            IDLE => {}
            // Woken when the body is sent (or hyper drops it, a write failed).
            SENDING => return Poll::Pending,
            _ => {
                let hold = self
                    .hold
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(HOLD_END)));
                if hold.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.start_fault() {
            return this.poll_fault(cx).map(Err);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.start_fault() {
            return this.poll_fault(cx).map(Err);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.start_fault() {
            return this.poll_fault(cx).map(Err);
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.broken {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
