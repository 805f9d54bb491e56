//! Faults and dribbled answers: what a client's resilience is tested against.
//! The fault names and meanings are WireMock's, so habits carry over; how they
//! are carried out on the socket is [`crate::http::faulty`].

use std::time::Duration;

use super::rules::RuleError;
use crate::support::duration::parse_duration;
use crate::support::limits::quoted;

/// A broken answer, as WireMock names them.
///
/// # Examples
///
/// ```
/// use mimeo::Fault;
///
/// let f = Fault::parse("connection_reset_by_peer")?;
/// assert_eq!(f, Fault::ConnectionResetByPeer);
/// assert_eq!(f.name(), "CONNECTION_RESET_BY_PEER");
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Fault {
    /// The connection is reset (TCP RST, `SO_LINGER` 0) instead of an answer.
    ConnectionResetByPeer,
    /// The connection is closed without a byte of answer.
    EmptyResponse,
    /// A `200` with chunked encoding whose chunk is garbage, then the connection closes.
    MalformedResponseChunk,
    /// Bytes that are not HTTP, then the connection closes.
    RandomDataThenClose,
}

impl Fault {
    /// Every fault, in the order the docs list them.
    pub const ALL: [Fault; 4] = [
        Fault::ConnectionResetByPeer,
        Fault::EmptyResponse,
        Fault::MalformedResponseChunk,
        Fault::RandomDataThenClose,
    ];

    /// WireMock's name: `CONNECTION_RESET_BY_PEER`, ...
    pub fn name(self) -> &'static str {
        match self {
            Fault::ConnectionResetByPeer => "CONNECTION_RESET_BY_PEER",
            Fault::EmptyResponse => "EMPTY_RESPONSE",
            Fault::MalformedResponseChunk => "MALFORMED_RESPONSE_CHUNK",
            Fault::RandomDataThenClose => "RANDOM_DATA_THEN_CLOSE",
        }
    }

    /// A fault by name, in any case, with `_` or `-`.
    pub fn parse(text: &str) -> Result<Fault, RuleError> {
        let wanted = text.trim().replace('-', "_");
        Fault::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                RuleError(format!(
                    "`{}` is not a fault; faults are {}",
                    quoted(text),
                    names.join(", ")
                ))
            })
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The body sent in `chunks` pieces spread over `duration` (WireMock's
/// `chunkedDribbleDelay`): a slow network, or a server that streams.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mimeo::Dribble;
///
/// let d = Dribble::parse("5x1s")?;
/// assert_eq!(d, Dribble { chunks: 5, duration: Duration::from_secs(1) });
/// # Ok::<(), mimeo::errors::RuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Dribble {
    /// How many pieces (1 to 1,000).
    pub chunks: u32,
    /// Over how long (at most an hour).
    #[serde(
        rename = "durationMs",
        serialize_with = "crate::support::duration::serialize_millis"
    )]
    pub duration: Duration,
}

/// The most pieces a body is cut into.
const MAX_CHUNKS: u32 = 1000;

impl Dribble {
    /// `5x1s`: five pieces over a second.
    pub fn parse(text: &str) -> Result<Dribble, RuleError> {
        let err = |why: String| RuleError(format!("dribble `{}`: {why}", quoted(text)));
        let (n, d) = text
            .trim()
            .split_once(['x', 'X'])
            .ok_or_else(|| err("expected CHUNKSxDURATION, e.g. 5x1s".into()))?;
        let chunks = n
            .trim()
            .parse::<u32>()
            .map_err(|_| err(format!("`{}` is not a number of chunks", quoted(n))))?;
        let duration = parse_duration(d).map_err(|e| err(e.to_string()))?;
        Dribble::new(chunks, duration)
    }

    /// Checks the bounds: 1 to 1,000 chunks.
    pub fn new(chunks: u32, duration: Duration) -> Result<Dribble, RuleError> {
        if !(1..=MAX_CHUNKS).contains(&chunks) {
            return Err(RuleError(format!(
                "dribble: {chunks} chunks; give 1 to {MAX_CHUNKS}"
            )));
        }
        Ok(Dribble { chunks, duration })
    }
}

impl std::fmt::Display for Dribble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{:?}", self.chunks, self.duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dribbles() {
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.name()).unwrap(), f);
        }
        assert_eq!(
            Fault::parse("empty-response").unwrap(),
            Fault::EmptyResponse
        );
        assert!(Fault::parse("BOOM")
            .unwrap_err()
            .to_string()
            .contains("EMPTY_RESPONSE"));
        assert!(Dribble::parse("0x1s").is_err());
        assert!(Dribble::parse("5x1").is_err());
        assert!(Dribble::parse("x").is_err());
        assert_eq!(
            Dribble::parse("4x2s").unwrap().duration,
            Duration::from_secs(2)
        );
    }
}
