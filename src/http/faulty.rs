//! Faults below HTTP. hyper writes well-formed responses and nothing else, so a
//! reset, an empty reply, a broken chunk or garbage cannot be a response: every
//! accepted socket is wrapped in a [`FaultyStream`], and a request handler that
//! decides on a fault arms its connection's [`Conn`]. The next write hyper makes
//! (the response head) is then replaced by the fault: a reset (`SO_LINGER` 0,
//! then close), a close with nothing sent, a `200` whose chunk is garbage, or
//! random bytes; then the connection ends. Unarmed, the wrapper only passes
//! bytes through (one atomic load per write).

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::respond::fault::Fault;

/// One accepted connection, as request handlers see it: the client's address,
/// and the fault to break the connection with.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) peer: SocketAddr,
    armed: AtomicU8,
}

impl Conn {
    pub(crate) fn new(peer: SocketAddr) -> Conn {
        Conn {
            peer,
            armed: AtomicU8::new(0),
        }
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
}

impl FaultyStream {
    pub(crate) fn new(inner: TcpStream, conn: Arc<Conn>) -> FaultyStream {
        FaultyStream {
            inner,
            conn,
            garbage: None,
            broken: false,
            reset: false,
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
        Pin::new(&mut self.inner).poll_read(cx, buf)
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
