//! `mimeo proxy` forwarding as the target sees it: the request line and headers
//! that arrive on both of the proxy's ways of sending (hyper-util's client
//! directly, reqwest when the target URL has credentials, a query or a fragment,
//! or when a proxy from the environment applies), and what a slow or absent
//! target gets the client. The target here is a raw socket that reports every
//! request it reads, byte for byte.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mimeo::{ProxyOptions, ProxyServer};

/// Long enough never to fire; only there to turn a hang into a failure.
const WAIT: Duration = Duration::from_secs(30);

/// A body the target answers with.
const JSON: &str = r#"{"idType":"email","values":["a@x.io"]}"#;

/// What the target does with each request it reads.
#[derive(Clone, Copy)]
enum Act {
    /// A 200 with [`JSON`] (its head only for HEAD).
    Answer,
    /// A 200 with this JSON body.
    Body(&'static str),
    /// Waits this long before answering.
    SlowHead(Duration),
    /// Sends a head announcing `total` bytes and `first` of them, waits
    /// `pause`, then the rest.
    SlowBody {
        total: usize,
        first: usize,
        pause: Duration,
    },
}

/// One request as the target read it.
struct Seen {
    /// The request line and headers, as sent (lossily decoded).
    head: String,
    body: Vec<u8>,
}

impl Seen {
    fn line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    /// Every value of header `name`.
    fn header(&self, name: &str) -> Vec<&str> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect()
    }
}

/// A target on 127.0.0.1 that reports what it reads.
struct Target {
    addr: SocketAddr,
    seen: mpsc::Receiver<Seen>,
}

impl Target {
    fn start(act: Act) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let (tx, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let tx = tx.clone();
                std::thread::spawn(move || serve(stream, act, &tx));
            }
        });
        Target { addr, seen }
    }

    /// `http://127.0.0.1:PORT`.
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request the target read.
    fn next(&self) -> Seen {
        self.seen
            .recv_timeout(WAIT)
            .expect("the target got a request")
    }

    /// Whether no (further) request reached the target.
    fn none_arrived(&self) -> bool {
        self.seen.recv_timeout(Duration::from_millis(200)).is_err()
    }
}

fn serve(stream: TcpStream, act: Act, tx: &mpsc::Sender<Seen>) {
    let _ = stream.set_read_timeout(Some(WAIT));
    let mut out = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            head.extend_from_slice(&line);
            if line == b"\r\n" {
                break;
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let length = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0usize);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let head_only = head.starts_with("HEAD ");
        let _ = tx.send(Seen { head, body });
        let answered = match act {
            Act::Answer => answer(&mut out, head_only, JSON),
            Act::Body(body) => answer(&mut out, head_only, body),
            Act::SlowHead(wait) => {
                std::thread::sleep(wait);
                answer(&mut out, head_only, JSON)
            }
            Act::SlowBody {
                total,
                first,
                pause,
            } => (|| {
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {total}\r\n\r\n"
                )?;
                out.write_all(&vec![b'a'; first])?;
                out.flush()?;
                std::thread::sleep(pause);
                out.write_all(&vec![b'b'; total - first])
            })(),
        };
        if answered.is_err() {
            return;
        }
    }
}

fn answer(out: &mut TcpStream, head_only: bool, body: &str) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        out.write_all(body.as_bytes())?;
    }
    Ok(())
}

/// What a client got for a raw request: everything the proxy sent until it
/// closed the connection, and how long that took.
struct Raw {
    text: String,
    took: Duration,
}

impl Raw {
    fn status(&self) -> u16 {
        self.text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {:?}", self.text))
    }

    fn head(&self) -> &str {
        self.text
            .split_once("\r\n\r\n")
            .map_or(&self.text, |(h, _)| h)
    }

    fn body(&self) -> &str {
        self.text.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }
}

/// Sends `request` (a whole HTTP/1.1 request, bytes as given) to `addr` and
/// reads until the connection closes.
async fn raw(addr: SocketAddr, request: Vec<u8>) -> Raw {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(&request).expect("request written");
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        Raw {
            text: String::from_utf8_lossy(&out).into_owned(),
            took: started.elapsed(),
        }
    })
    .await
    .expect("client thread")
}

/// `GET target` with `connection: close` and the headers given.
async fn get(addr: SocketAddr, target: &str, headers: &str) -> Raw {
    raw(
        addr,
        format!(
            "GET {target} HTTP/1.1\r\nhost: client.example\r\n{headers}connection: close\r\n\r\n"
        )
        .into_bytes(),
    )
    .await
}

async fn proxy(opts: ProxyOptions) -> ProxyServer {
    ProxyServer::start(crate::common::contract(), opts)
        .await
        .expect("proxy starts")
}

/// A proxy in front of `target` with `timeout`.
async fn proxy_with_timeout(target: &str, timeout: Duration) -> ProxyServer {
    let mut opts = ProxyOptions::new(target);
    opts.timeout = timeout;
    proxy(opts).await
}

/// `http://user:pa55word@127.0.0.1:PORT`: a target reached through reqwest.
fn with_credentials(base: &str) -> String {
    base.replacen("http://", "http://user:pa55word@", 1)
}

/// `user:pa55word` in Basic.
const BASIC: &str = "Basic dXNlcjpwYTU1d29yZA==";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_path_keeps_the_base_path_and_sends_odd_paths_as_received() {
    let target = Target::start(Act::Answer);
    // A trailing `/` on the base is not doubled.
    let proxy = proxy(ProxyOptions::new(format!("{}/base/", target.base()))).await;
    for path in [
        "/v1/x",
        "/",
        "/v1/Stores/a/../b/./c",
        "/v1/a%2Fb/%2e%2e/c",
        "/v1/x?q='it''s'&p=%27&empty=&&a=1",
        "/v1/caf\u{e9}/\u{2603}?v=\u{e9}",
        "/v1//double//slashes/",
    ] {
        let reply = get(proxy.addr(), path, "").await;
        assert_eq!(reply.status(), 200, "{path}: {}", reply.text);
        assert_eq!(reply.body(), JSON, "{path}");
        let seen = target.next();
        assert_eq!(seen.line(), format!("GET /base{path} HTTP/1.1"), "{path}");
        assert_eq!(seen.header("host"), [target.addr.to_string()], "{path}");
    }
    // The absolute form names some other host: the target still gets the path.
    let reply = get(proxy.addr(), "http://elsewhere.example/v1/x?y=1", "").await;
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let seen = target.next();
    assert_eq!(seen.line(), "GET /base/v1/x?y=1 HTTP/1.1");
    assert_eq!(seen.header("host"), [target.addr.to_string()]);
    proxy.shutdown().await;
}

/// The request headers the target gets on either path: hop-by-hop ones
/// dropped, `Host` naming the target, this proxy added to `Via`, the length
/// of what is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_bodies_reach_the_target_as_they_should_on_both_paths() {
    let target = Target::start(Act::Answer);
    for base in [target.base(), with_credentials(&target.base())] {
        let proxy = proxy(ProxyOptions::new(&base)).await;
        let reply = get(
            proxy.addr(),
            "/v1/x",
            "x-kept: yes\r\nconnection: x-hop, keep-alive\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\n\
             te: trailers\r\nproxy-authorization: Basic eA==\r\nvia: 1.0 upstream\r\n\
             accept-encoding: gzip\r\nexpect: 100-continue\r\n",
        )
        .await;
        assert_eq!(reply.status(), 200, "{base}: {}", reply.text);
        let seen = target.next();
        assert_eq!(seen.line(), "GET /v1/x HTTP/1.1", "{base}");
        assert_eq!(seen.header("host"), [target.addr.to_string()], "{base}");
        assert_eq!(seen.header("x-kept"), ["yes"], "{base}");
        for gone in [
            "x-hop",
            "keep-alive",
            "te",
            "proxy-authorization",
            "accept-encoding",
            "expect",
            "content-length",
            "transfer-encoding",
        ] {
            assert!(
                seen.header(gone).is_empty(),
                "{base}: {gone}\n{}",
                seen.head
            );
        }
        let via = seen.header("via");
        assert_eq!(via.len(), 2, "{base}: {via:?}");
        assert_eq!(via[0], "1.0 upstream", "{base}");
        assert!(via[1].starts_with("1.1 mimeo-"), "{base}: {via:?}");
        // What reqwest added to a request that has none.
        assert_eq!(seen.header("accept"), ["*/*"], "{base}");
        assert!(
            seen.header("user-agent")
                .first()
                .is_some_and(|u| u.starts_with("mimeo/")),
            "{base}: {}",
            seen.head
        );
        // Credentials in the target URL become the request's Basic credentials.
        let expected: &[&str] = if base.contains('@') { &[BASIC] } else { &[] };
        assert_eq!(seen.header("authorization"), expected, "{base}");

        // A chunked request body arrives with its length.
        let reply = raw(
            proxy.addr(),
            b"POST /v1/x HTTP/1.1\r\nhost: c\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec(),
        )
        .await;
        assert_eq!(reply.status(), 200, "{base}: {}", reply.text);
        let seen = target.next();
        assert_eq!(seen.line(), "POST /v1/x HTTP/1.1", "{base}");
        assert_eq!(seen.header("content-length"), ["5"], "{base}");
        assert!(seen.header("transfer-encoding").is_empty(), "{base}");
        assert_eq!(seen.body, b"hello", "{base}");

        // HEAD: the target's length kept, no body.
        let reply = raw(
            proxy.addr(),
            b"HEAD /v1/x HTTP/1.1\r\nhost: c\r\nconnection: close\r\n\r\n".to_vec(),
        )
        .await;
        assert_eq!(reply.status(), 200, "{base}: {}", reply.text);
        assert!(
            reply
                .head()
                .to_ascii_lowercase()
                .contains(&format!("content-length: {}", JSON.len())),
            "{base}: {}",
            reply.text
        );
        assert_eq!(reply.body(), "", "{base}");
        assert_eq!(target.next().line(), "HEAD /v1/x HTTP/1.1", "{base}");
        proxy.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_credentials_is_reached_at_its_base_path() {
    let target = Target::start(Act::Answer);
    let proxy = proxy(ProxyOptions::new(format!(
        "{}/base",
        with_credentials(&target.base())
    )))
    .await;
    assert!(!proxy.target().contains("pa55word"), "{}", proxy.target());
    // The client's own credentials win over the URL's.
    let reply = get(
        proxy.addr(),
        "/v1/x?a=1",
        "authorization: Bearer client\r\n",
    )
    .await;
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let seen = target.next();
    assert_eq!(seen.line(), "GET /base/v1/x?a=1 HTTP/1.1");
    assert_eq!(seen.header("authorization"), ["Bearer client"]);
    proxy.shutdown().await;
}

/// A query (or a fragment) in the target URL: the request still goes to the
/// base path followed by the request's path, the target's query first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_a_query_is_reached_at_the_requests_path() {
    let target = Target::start(Act::Answer);
    let cases = [
        ("/base?tenant=t1", "/v1/x?a=1", "/base/v1/x?tenant=t1&a=1"),
        ("/base/?tenant=t1", "/v1/x", "/base/v1/x?tenant=t1"),
        ("?tenant=t1", "/v1/x?", "/v1/x?tenant=t1"),
        ("/?", "/v1/x?a=1", "/v1/x?a=1"),
        ("/base#part", "/v1/x?a=1", "/base/v1/x?a=1"),
        ("/base?k=v#part", "/", "/base/?k=v"),
    ];
    for (tail, path, expected) in cases {
        let base = format!("{}{tail}", target.base());
        let proxy = proxy(ProxyOptions::new(&base)).await;
        let reply = get(proxy.addr(), path, "").await;
        assert_eq!(reply.status(), 200, "{base} {path}: {}", reply.text);
        assert_eq!(
            target.next().line(),
            format!("GET {expected} HTTP/1.1"),
            "{base} {path}"
        );
        proxy.shutdown().await;
    }
}

/// `OPTIONS *` is about the server, not a resource: it goes to the target's
/// base URL, never glued onto it (as a port: a 502; as a path: `/base*`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asterisk_request_goes_to_the_base_url() {
    let target = Target::start(Act::Answer);
    for (base, expected) in [
        (target.base(), "/"),
        (format!("{}/base", target.base()), "/base"),
        (with_credentials(&target.base()), "/"),
        (format!("{}/base/?k=v", target.base()), "/base?k=v"),
    ] {
        let proxy = proxy(ProxyOptions::new(&base)).await;
        let reply = raw(
            proxy.addr(),
            b"OPTIONS * HTTP/1.1\r\nhost: c\r\nconnection: close\r\n\r\n".to_vec(),
        )
        .await;
        assert_eq!(reply.status(), 200, "{base}: {}", reply.text);
        assert_eq!(
            target.next().line(),
            format!("OPTIONS {expected} HTTP/1.1"),
            "{base}"
        );
        proxy.shutdown().await;
    }
}

/// A reverse proxy opens no tunnels: a CONNECT forwarded, the target's 2xx
/// would tell the client one is open, on a connection nobody then serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_is_refused_by_the_proxy_and_never_forwarded() {
    let target = Target::start(Act::Answer);
    let proxy = proxy(ProxyOptions::new(target.base())).await;
    let reply = raw(
        proxy.addr(),
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\nconnection: close\r\n\r\n"
            .to_vec(),
    )
    .await;
    assert_eq!(reply.status(), 501, "{}", reply.text);
    assert!(
        reply.head().contains("mimeo-error: tunnel-refused")
            && reply.body().contains("CONNECT is not supported"),
        "{}",
        reply.text
    );
    assert!(target.none_arrived());
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_gets_the_client_a_504_on_both_paths() {
    let target = Target::start(Act::SlowHead(Duration::from_secs(5)));
    for base in [target.base(), with_credentials(&target.base())] {
        let proxy = proxy_with_timeout(&base, Duration::from_millis(300)).await;
        let reply = get(proxy.addr(), "/v1/x", "").await;
        assert_eq!(reply.status(), 504, "{base}: {}", reply.text);
        assert!(
            reply.took < Duration::from_secs(3),
            "{base}: {:?}",
            reply.took
        );
        assert!(
            reply.head().contains("mimeo-error: target-timeout"),
            "{}",
            reply.text
        );
        let body = reply.body();
        assert!(body.contains("did not answer in time"), "{body}");
        assert!(body.contains("no response within 300ms"), "{body}");
        assert!(!body.contains("pa55word"), "{body}");
        target.next();
        let summary = proxy.shutdown().await;
        assert_eq!(summary.target_errors, 1, "{summary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_gets_the_client_a_504_on_both_paths() {
    let target = Target::start(Act::SlowBody {
        total: 100,
        first: 10,
        pause: Duration::from_secs(5),
    });
    for base in [target.base(), with_credentials(&target.base())] {
        let proxy = proxy_with_timeout(&base, Duration::from_millis(300)).await;
        let reply = get(proxy.addr(), "/v1/x", "").await;
        assert_eq!(reply.status(), 504, "{base}: {}", reply.text);
        assert!(
            reply.took < Duration::from_secs(3),
            "{base}: {:?}",
            reply.took
        );
        assert!(
            reply.body().contains("did not answer in time"),
            "{}",
            reply.text
        );
        target.next();
        proxy.shutdown().await;
    }
}

/// Past the check limit the answer is passed on as it arrives; the deadline
/// still covers its rest: the client gets a cut answer in time, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_past_the_check_limit_is_cut_at_the_deadline() {
    let (total, first) = (64 * 1024, 8 * 1024);
    let target = Target::start(Act::SlowBody {
        total,
        first,
        pause: Duration::from_secs(5),
    });
    for base in [target.base(), with_credentials(&target.base())] {
        let mut opts = ProxyOptions::new(&base);
        opts.timeout = Duration::from_millis(500);
        opts.max_checked = 1024;
        let proxy = proxy(opts).await;
        let reply = get(proxy.addr(), "/v1/x", "").await;
        assert_eq!(reply.status(), 200, "{base}: {}", reply.head());
        assert!(
            reply.took < Duration::from_secs(3),
            "{base}: {:?}",
            reply.took
        );
        let got = reply.body().len();
        assert!(got >= first && got < total, "{base}: {got} bytes");
        assert!(
            !reply.body().contains('b'),
            "{base}: nothing after the pause"
        );
        target.next();
        proxy.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_gets_the_client_a_502_on_both_paths() {
    let closed = crate::common::Refused::new();
    let plain = format!("{}/base", closed.url());
    for base in [plain.clone(), with_credentials(&plain)] {
        let proxy = proxy(ProxyOptions::new(&base)).await;
        let reply = get(proxy.addr(), "/v1/x", "").await;
        assert_eq!(reply.status(), 502, "{base}: {}", reply.text);
        assert!(
            reply.head().contains("mimeo-error: target-unreachable"),
            "{}",
            reply.text
        );
        let body = reply.body();
        assert!(
            body.contains("cannot be reached (cannot connect: "),
            "{body}"
        );
        assert!(body.contains("refused"), "says why: {body}");
        assert!(!body.contains("pa55word"), "{body}");
        assert!(
            body.contains(&base.replace("user:pa55word", "[redacted]")),
            "names the target: {body}"
        );
        proxy.shutdown().await;
    }
}

/// Through the binary: the target's credentials are used (the request gets
/// them) and never shown: not in the banner, the log, the summary or the
/// recording.
#[test]
fn the_binary_never_shows_the_targets_credentials() {
    let target = Target::start(Act::Answer);
    let dir = tempfile::tempdir().unwrap();
    let base = format!("{}/base", with_credentials(&target.base()));
    let running = crate::common::proxy::spawn(&[
        "--target",
        &base,
        "--port",
        "0",
        "--record",
        dir.path().to_str().unwrap(),
    ]);
    let addr: SocketAddr = running
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = format!(
        "/v1/Stores/{}/Profiles/{}/Identifiers/email",
        crate::common::STORE,
        crate::common::PROFILE
    );
    let reply = runtime.block_on(get(addr, &path, ""));
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let seen = target.next();
    assert_eq!(seen.line(), format!("GET /base{path} HTTP/1.1"));
    assert_eq!(seen.header("authorization"), [BASIC]);
    // A client that repeats the target's password in a URL: forwarded as
    // sent, shown hidden.
    let repeated = "/v1/ControlPlane/Stores/pa55word?token=pa55word";
    runtime.block_on(get(addr, repeated, ""));
    assert_eq!(
        target.next().line(),
        format!("GET /base{repeated} HTTP/1.1")
    );
    let out = running.stop();
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains(&format!("] GET {path} -> 200")),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("] GET /v1/ControlPlane/Stores/[redacted]?token=%5Bredacted%5D -> "),
        "{out}"
    );
    let mut shown = format!("{out}");
    for file in walk(dir.path()) {
        shown.push_str(&std::fs::read_to_string(&file).unwrap_or_default());
    }
    assert!(shown.contains("[redacted]@127.0.0.1"), "{shown}");
    for secret in ["pa55word", "dXNlcjpwYTU1d29yZA"] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A proxy from the environment (`HTTP_PROXY`, set for the spawned proxy only)
/// gets the request for a target it applies to, in absolute form.
#[test]
fn a_proxy_from_the_environment_gets_the_request() {
    let upstream = Target::start(Act::Answer);
    let running = crate::common::proxy::spawn_with_env(
        &[
            "--target",
            "http://mimeo-target.invalid:8081/base",
            "--port",
            "0",
        ],
        &[("HTTP_PROXY", &upstream.base())],
    );
    let addr: SocketAddr = running
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime.block_on(get(addr, "/v1/x?a=1", ""));
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let seen = upstream.next();
    assert_eq!(
        seen.line(),
        "GET http://mimeo-target.invalid:8081/base/v1/x?a=1 HTTP/1.1"
    );
    assert_eq!(seen.header("host"), ["mimeo-target.invalid:8081"]);
    assert!(upstream.none_arrived());
    let out = running.stop();
    assert_eq!(out.code, Some(0), "{out}");
}

/// `mimeo replay` sends to a target URL with a query as the proxy does: at the
/// step's path under the base path, the base's query joined to the step's,
/// not the step's path glued onto the query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_reaches_a_target_with_a_query_at_the_steps_path() {
    let target = Target::start(Act::Answer);
    let contract = crate::common::contract();
    let text = "name: q\nsteps:\n  - request:\n      method: GET\n      path: /v1/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers/email\n";
    let scenario = mimeo::Scenario::from_text("q.yaml", text, &contract)
        .unwrap_or_else(|e| panic!("{}", e[0]));
    let base = format!("{}/base?tenant=t1", target.base());
    let _ = tokio::time::timeout(
        WAIT,
        mimeo::run_scenarios(
            contract,
            std::sync::Arc::new(vec![scenario]),
            mimeo::Target {
                base,
                is_mock: false,
            },
            mimeo::ReplayOptions::default(),
            |_| {},
        ),
    )
    .await
    .expect("finished before the watchdog");
    assert_eq!(
        target.next().line(),
        "GET /base/v1/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers/email?tenant=t1 HTTP/1.1"
    );
}

/// A credential in the target URL's query (`?api_key=`) is hidden wherever the
/// target is shown (banners, reports, the recordings' header), as userinfo is.
#[test]
fn a_secret_in_the_targets_query_is_never_shown() {
    let t = mimeo::Target {
        base: "https://u:pw@api.example.com/v1?tenant=t1&api_key=s3cr3t&access_token=tok9#frag"
            .into(),
        is_mock: false,
    };
    let shown = t.shown();
    assert_eq!(
        shown,
        "https://[redacted]@api.example.com/v1?tenant=t1&api_key=[redacted]&access_token=[redacted]#frag"
    );
}

/// A credential in the target URL's query, echoed by the target in an answer
/// that breaks the contract: the violation quotes the value, and the proxy's
/// report (and log) hides it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_of_the_target_url_echoed_in_a_violation_is_hidden() {
    const KEY: &str = "Zq7xRw2mPv9kLt4n";
    let target = Target::start(Act::Body(
        r#"{"idType":"email","values":"Zq7xRw2mPv9kLt4n"}"#,
    ));
    let proxy = proxy(ProxyOptions::new(format!(
        "{}/?api_key={KEY}",
        target.base()
    )))
    .await;
    let reply = get(
        proxy.addr(),
        "/v1/Stores/mem_store_01jc6xv5q8m2t7w4n9r3k0h2f6/Profiles/mem_profile_01jc6xv5q8m2t7w4n9r3k0h2f6/Identifiers/email",
        "authorization: Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA6eA==\r\n",
    )
    .await;
    assert!(reply.text.starts_with("HTTP/1.1 200"), "{}", reply.text);
    let summary = proxy.shutdown().await;
    assert_eq!(summary.with_violations, 1, "{summary}");
    let shown = summary.to_string();
    assert!(shown.contains("/values"), "{shown}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
}
