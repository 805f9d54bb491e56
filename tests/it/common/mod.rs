//! Helpers shared by the integration tests: a real server on 127.0.0.1:0 and a
//! plain HTTP client.

pub mod broken;
pub mod deviant;
pub mod hostile;
pub mod proxy;
pub mod replay;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use mimeo::check_response as run_checks;
use mimeo::{Contract, Operation};
use mimeo::{MockServer, ServeOptions};

pub const STORE: &str = "mem_store_00000000000000000000000000";
pub const PROFILE: &str = "mem_profile_00000000000000000000000000";
pub const MAPPING: &str = "mem_datamapping_00000000000000000000000000";

/// The HTTP Basic credentials the helpers send, as a Twilio helper library
/// would (`AC0123456789abcdef0123456789abcdef:test-token`, an Account SID and
/// an auth token): the mock enforces the contract's security by default and
/// accepts any user and password.
pub const AUTHORIZATION: &str =
    "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0ZXN0LXRva2Vu";

pub fn contract() -> Arc<Contract> {
    Arc::new(Contract::embedded().expect("embedded contract"))
}

pub async fn start(opts: ServeOptions) -> MockServer {
    MockServer::start(contract(), opts)
        .await
        .expect("server starts")
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request; a JSON Content-Type is added when there is a body and none is given.
pub async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let mut all = headers.to_vec();
    if body.is_some()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        all.push(("content-type", "application/json"));
    }
    send_exact(base, method, path, &all, body.unwrap_or("")).await
}

/// Sends exactly the headers given (no Content-Type is added), with
/// [`CREDENTIALS`] unless an `Authorization` header is given.
pub async fn send_exact(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut all = headers.to_vec();
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        all.push(("authorization", AUTHORIZATION));
    }
    send_anonymous(base, method, path, &all, body).await
}

/// Sends exactly the headers given: no Content-Type, no credentials.
pub async fn send_anonymous(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    send_bytes(base, method, path, headers, Bytes::from(body.to_string())).await
}

/// Sends exactly the headers given and a body of any bytes.
pub async fn send_bytes(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body)).unwrap();
    let resp = client.request(req).await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body read")
        .to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

/// A request that keeps the contract for `op`: (path, body).
pub fn valid_request(op: &Operation) -> (String, Option<&'static str>) {
    let path = op
        .path()
        .replace("{storeId}", STORE)
        .replace("{profileId}", PROFILE)
        .replace("{idType}", "email")
        .replace("{dataMappingId}", MAPPING);
    let body = match op.operation_id() {
        Some("CreateProfileIdentifier") => Some(r#"{"idType":"email","value":"ada@example.com"}"#),
        Some("PatchProfileIdentifier") => {
            Some(r#"{"idType":"email","oldValue":"ada@example.com","newValue":"ada@example.org"}"#)
        }
        _ => None,
    };
    (path, body)
}

/// Asserts that `reply` has `status` and keeps the contract of `op` (every named check).
pub fn assert_conforms(contract: &Contract, op: &Operation, reply: &Reply, status: u16) {
    assert_eq!(
        reply.status,
        status,
        "{} {status}: {:?}",
        op.name(),
        reply.body
    );
    let failures = run_checks(
        contract,
        op,
        reply.status,
        &reply.headers,
        &reply.body,
        Some(&[status]),
    )
    .failures;
    assert!(
        failures.is_empty(),
        "{} {status} breaks the contract: {failures:#?}\nbody: {:?}",
        op.name(),
        reply.body
    );
}

/// A loopback port that refuses every connection, and stays refusing for as
/// long as this value lives.
///
/// Binding a listener and dropping it leaves a port free for the next bind, and
/// with tests running in parallel another test's server soon takes it: the
/// "unreachable" target then answers. A socket that is bound but never listens
/// keeps the port reserved (no port-0 bind is given it) while the kernel
/// answers each connection attempt with a reset.
pub struct Refused(tokio::net::TcpSocket);

impl Refused {
    pub fn new() -> Refused {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().unwrap())
            .expect("bind a loopback port");
        Refused(socket)
    }

    pub fn port(&self) -> u16 {
        self.0.local_addr().expect("bound").port()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }
}
