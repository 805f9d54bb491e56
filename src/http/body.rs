//! The mock's response body: the whole body at once (what almost every answer
//! is, with no allocation beyond the bytes), or dribbled: cut into pieces sent
//! at even intervals with chunked encoding, like WireMock's
//! `chunkedDribbleDelay`, so a client's read timeouts and streaming code meet
//! a slow network.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use crate::respond::fault::Dribble;

/// A body the mock sends.
pub(crate) enum MockBody {
    /// All at once.
    Full(Option<Bytes>),
    /// In pieces, each after a pause.
    Dribbled {
        rest: Bytes,
        pieces_left: u32,
        interval: Duration,
        pause: Option<Pin<Box<Sleep>>>,
    },
}

impl MockBody {
    pub(crate) fn full(bytes: Bytes) -> MockBody {
        MockBody::Full((!bytes.is_empty()).then_some(bytes))
    }

    /// `bytes` in `dribble.chunks` pieces over `dribble.duration` (fewer pieces
    /// when the body has fewer bytes).
    pub(crate) fn dribbled(bytes: Bytes, dribble: Dribble) -> MockBody {
        if bytes.is_empty() {
            return MockBody::Full(None);
        }
        let pieces = dribble
            .chunks
            .min(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        MockBody::Dribbled {
            rest: bytes,
            pieces_left: pieces.max(1),
            interval: dribble.duration / pieces.max(1),
            pause: None,
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            MockBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Dribbled {
                rest,
                pieces_left,
                interval,
                pause,
            } => {
                if *pieces_left == 0 {
                    return Poll::Ready(None);
                }
                let sleep = pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(*interval)));
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *pause = None;
                let n = rest.len().div_ceil(*pieces_left as usize);
                *pieces_left -= 1;
                let piece = rest.split_to(n.min(rest.len()));
                Poll::Ready(Some(Ok(Frame::data(piece))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            MockBody::Full(bytes) => bytes.is_none(),
            MockBody::Dribbled { pieces_left, .. } => *pieces_left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            // No exact size: hyper sends the pieces with chunked encoding.
            MockBody::Dribbled { .. } => SizeHint::default(),
        }
    }
}
