//! A misbehaving target written on raw sockets, for what a well-behaved HTTP
//! library would not send: an endless answer, contradictory framing, a huge
//! schema-breaking body. Each connection gets one answer chosen by the request
//! path; the server thread runs until the test process ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// A running hostile target.
pub struct Hostile {
    pub base: String,
}

impl Hostile {
    /// Starts the target on 127.0.0.1 and a free port. `answer` writes the whole
    /// answer for a request (its path given) on the stream.
    pub fn start(answer: fn(&str, &mut TcpStream) -> std::io::Result<()>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
                    while let Some(path) = read_request(&mut stream) {
                        if answer(&path, &mut stream).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Hostile { base }
    }
}

/// Reads one request (headers, and a body by Content-Length); its path.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(path)
}

/// An answer that never ends: chunks of 64 KiB until the client goes away.
pub fn endless(_path: &str, stream: &mut TcpStream) -> std::io::Result<()> {
    stream.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    )?;
    let chunk = vec![b'a'; 64 * 1024];
    loop {
        stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
        stream.write_all(&chunk)?;
        stream.write_all(b"\r\n")?;
    }
}

/// `FetchProfileIdentifier`'s 200 with `n` numbers where strings belong: `n`
/// violations of `values`' item type in one answer.
pub fn wrong_items(n: usize) -> Vec<u8> {
    let mut body = br#"{"idType":"email","values":["#.to_vec();
    for i in 0..n {
        if i > 0 {
            body.push(b',');
        }
        body.push(b'1');
    }
    body.extend_from_slice(b"]}");
    body
}

/// `FetchProfileIdentifier`'s 200 that keeps the contract, with `n` values.
pub fn many_values(n: usize) -> Vec<u8> {
    let mut body = br#"{"idType":"email","values":["#.to_vec();
    for i in 0..n {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(b"\"a@x.io\"");
    }
    body.extend_from_slice(b"]}");
    body
}

/// Writes a 200 JSON answer with `body` and a Content-Length.
pub fn json(stream: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)
}

/// Answers by query: `?wrong=N` N wrong items, `?good=N` N good values (the
/// path is the contract's, so the answer is checked as FetchProfileIdentifier's).
pub fn by_size(target: &str, stream: &mut TcpStream) -> std::io::Result<()> {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let (kind, n) = query.split_once('=').unwrap_or(("good", "1"));
    let n: usize = n.parse().unwrap_or(1);
    if kind == "wrong" {
        json(stream, &wrong_items(n))
    } else {
        json(stream, &many_values(n))
    }
}

/// Both `Content-Length: 5` and `Transfer-Encoding: chunked`, with a chunked
/// body much longer than 5 bytes.
pub fn both_lengths(_path: &str, stream: &mut TcpStream) -> std::io::Result<()> {
    let body = br#"{"idType":"email","values":["a@x.io"]}"#;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.write_all(b"\r\n0\r\n\r\n")
}

/// FetchProfileIdentifier's 200, with what no file or terminal should get raw:
/// as text, an escape sequence, a carriage return and U+FFFE; as JSON, U+FFFE
/// and U+FFFF in a value that breaks its schema.
pub fn odd_characters(target: &str, stream: &mut TcpStream) -> std::io::Result<()> {
    if target.contains("as=text") {
        let body = "clear: \u{1b}[2J\u{1b}]0;pwned\u{7} back\r over \u{fffe}\n";
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    } else {
        json(
            stream,
            "{\"idType\":\"odd\u{fffe}\u{ffff}\",\"values\":[\"a@x.io\"]}".as_bytes(),
        )
    }
}
