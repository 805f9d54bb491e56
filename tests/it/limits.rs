//! Hostile input meets bounds: documents, requests, answers and files built to
//! make mimeo spend unbounded memory or time get a bounded answer instead, each
//! through the real binary or server. Every test here stops by itself well
//! within its watchdog; the heavier ones are `#[ignore]`d and run by `.ci/run`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::proxy::spawn_command;
use crate::common::{send, send_anonymous};

/// A generous bound for work that takes milliseconds when bounded and forever
/// when not: it only tells the two apart.
const BOUNDED: Duration = Duration::from_secs(20);

/// A document whose schemas `S0`..`S{levels}` each compose the next twice with
/// `kind`, used by a query parameter and a response.
fn composed_spec(kind: &str, levels: usize) -> String {
    let mut doc = String::from(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, schema: {$ref: '#/components/schemas/S0'}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/S0'}\ncomponents:\n  schemas:\n",
    );
    for i in 0..levels {
        doc.push_str(&format!(
            "    S{i}:\n      {kind}:\n        - $ref: '#/components/schemas/S{n}'\n        - $ref: '#/components/schemas/S{n}'\n",
            n = i + 1
        ));
    }
    doc.push_str(&format!(
        "    S{levels}:\n      type: object\n      properties: {{a: {{type: string}}}}\n"
    ));
    doc
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_that_compose_exponentially_load_and_answer_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let nested = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/S'}\n      responses:\n        '200': {description: ok}\ncomponents:\n  schemas:\n    S:\n      allOf:\n        - $ref: '#/components/schemas/T'\n        - $ref: '#/components/schemas/T'\n    T:\n      properties:\n        a: {$ref: '#/components/schemas/S'}\n";
    let specs = [
        ("allOf", composed_spec("allOf", 40)),
        ("anyOf", composed_spec("anyOf", 40)),
        ("oneOf", composed_spec("oneOf", 40)),
        ("nested", nested.to_string()),
    ];
    for (kind, text) in specs {
        let spec = write(dir.path(), &format!("{kind}.yaml"), &text);
        let started = Instant::now();
        let running = spawn_command("serve", &["--spec", &spec, "--port", "0"]);
        assert!(
            started.elapsed() < BOUNDED,
            "{kind}: start-up took {:?}",
            started.elapsed()
        );
        let started = Instant::now();
        let r = if kind == "nested" {
            // 60 levels deep: 2^60 checks if every level doubled.
            let body = format!("{}1{}", r#"{"a":"#.repeat(60), "}".repeat(60));
            send(&running.url, "POST", "/a", &[], Some(&body)).await
        } else {
            send(&running.url, "GET", "/a?q=%7B%7D", &[], None).await
        };
        assert!(
            started.elapsed() < BOUNDED,
            "{kind}: a request took {:?}",
            started.elapsed()
        );
        assert_eq!(r.status, 200, "{kind}");
        let stopped = running.stop();
        assert_eq!(stopped.code, Some(0), "{kind}: {stopped}");
        assert!(
            stopped.stderr.contains("more than 1000 schema checks")
                && stopped.stderr.contains("values there are not validated"),
            "{kind}: {stopped}"
        );
    }
}

/// `levels` levels of `width` aliases each, every level repeating the one before:
/// `width^levels` values from a few kilobytes of text.
fn alias_bomb(indent: &str, levels: usize, width: usize) -> String {
    let mut out = format!("{indent}l0: &l0 [{}]\n", vec!["x"; width].join(", "));
    for i in 1..levels {
        let prev = format!("*l{}", i - 1);
        out.push_str(&format!(
            "{indent}l{i}: &l{i} [{}]\n",
            vec![prev.as_str(); width].join(", ")
        ));
    }
    out
}

#[test]
fn yaml_alias_bombs_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A document: the bomb in an extension, where nothing reads it as a schema.
    let spec = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-bomb:\n{}",
        alias_bomb("  ", 6, 200)
    );
    let spec = write(dir.path(), "bomb.yaml", &spec);
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args(["serve", "--port", "0", "--spec", &spec])
        .output()
        .unwrap();
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bomb.yaml:") && stderr.contains("alias bomb"),
        "{stderr}"
    );

    // A scenario: the bomb as a request body.
    let scenario = format!(
        "name: bomb\nsteps:\n  - request:\n      method: POST\n      path: /x\n      body:\n{}    outside_contract: true\n",
        alias_bomb("        ", 6, 200)
    );
    let scenario = write(dir.path(), "bomb-scenario.yaml", &scenario);
    let started = Instant::now();
    let mut cmd = crate::common::replay::replay();
    cmd.args([
        scenario.as_str(),
        "--snapshots",
        dir.path().join("snaps").to_str().unwrap(),
    ]);
    let run = crate::common::replay::run(cmd);
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("bomb-scenario.yaml:")
            && run.stderr.contains("larger than mimeo reads"),
        "{run}"
    );

    // A config: the bomb where a rule's latency goes.
    let config = format!(
        "rules:\n  - match: DELETE /v1/ControlPlane/**\n    latency:\n{}",
        alias_bomb("      ", 6, 200)
    );
    let config = write(dir.path(), "bomb-config.yaml", &config);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args(["serve", "--port", "0", "--config", &config])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bomb-config.yaml:"), "{stderr}");
}

#[test]
fn deeply_nested_yaml_flow_collections_are_refused_at_once() {
    // libyaml's scanner works in proportion to the flow depth for every token:
    // 150,000 unclosed `[` kept the loader busy for about a minute.
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-deep: {}\n",
        "[".repeat(150_000)
    );
    let spec = write(dir.path(), "deep.yaml", &spec);
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args(["serve", "--port", "0", "--spec", &spec])
        .output()
        .unwrap();
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("deep.yaml:4:137:") && stderr.contains("nested more than 128 deep"),
        "{stderr}"
    );
}

#[test]
fn a_signal_stops_serve_while_it_is_still_loading() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    // Many operations without examples: building their responses takes a while,
    // and the path item `$ref` makes a warning that says the contract is loaded.
    let mut paths = serde_json::Map::new();
    paths.insert("/ref".into(), serde_json::json!({"$ref": "#/x"}));
    // (At most 200 operations: a larger contract builds its responses after start.)
    for i in 0..200 {
        let mut props = serde_json::Map::new();
        for j in 0..50 {
            props.insert(
                format!("a{j}"),
                serde_json::json!({"type": "string", "pattern": format!("^[a-z]{{3}}-{j}-[0-9]{{2}}$")}),
            );
        }
        props.insert(
            "i".into(),
            serde_json::json!({"type": "integer", "minimum": i}),
        );
        let schema = serde_json::json!({"type": "object", "required": ["a0"], "properties": props});
        paths.insert(
            format!("/p{i}"),
            serde_json::json!({"get": {"responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": schema}}}}}}),
        );
    }
    let doc = serde_json::json!({"openapi": "3.0.3", "info": {"title": "slow", "version": "1"}, "paths": paths})
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "slow.json", &doc);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args(["serve", "--port", "0", "--spec", &spec])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("warning:"), "{first}");
    // The contract is loaded; its responses are being built.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{out}\n{rest}");
    assert!(!out.contains("listening on"), "{out}");
    assert!(rest.contains("stopped before serving"), "{rest}");
}

#[test]
fn replay_reads_at_most_its_cap_of_an_endless_answer() {
    let target = crate::common::hostile::Hostile::start(crate::common::hostile::endless);
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "stream.yaml",
        "name: stream\nsteps:\n  - request:\n      method: GET\n      path: /stream\n    outside_contract: true\n",
    );
    let mut cmd = crate::common::replay::replay();
    cmd.args([
        scenario.as_str(),
        "--target",
        &target.base,
        "--max-response-size",
        "1MiB",
        "--snapshots",
        dir.path().join("snaps").to_str().unwrap(),
    ]);
    let started = Instant::now();
    let run = crate::common::replay::run(cmd);
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout
            .contains("transport: the answer's body is larger than 1 MiB (--max-response-size)"),
        "{run}"
    );
}

/// Opens a raw connection to `url` (`http://host:port`).
fn connect(url: &str) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection.
fn read_all(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_time_out_and_connections_past_the_cap_are_told_to_retry() {
    use std::io::Write;
    for command in ["serve", "proxy"] {
        let mock = crate::common::start(mimeo::ServeOptions::default()).await;
        let mut args = vec![
            "--port",
            "0",
            "--body-timeout",
            "1s",
            "--max-connections",
            "2",
        ];
        if command == "proxy" {
            args.extend(["--target", mock.url().leak()]);
        }
        let running = spawn_command(command, &args);
        let path = format!(
            "/v1/Stores/{}/Profiles/{}/Identifiers",
            crate::common::STORE,
            crate::common::PROFILE
        );
        // Two clients that send headers and then one byte of a 100-byte body.
        let mut slow: Vec<std::net::TcpStream> = (0..2)
            .map(|_| {
                let mut s = connect(&running.url);
                write!(s, "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{").unwrap();
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        // Both slots are taken: a third client is told to come back, at once.
        let mut third = connect(&running.url);
        write!(third, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        let refused = read_all(&mut third);
        assert!(
            refused.starts_with("HTTP/1.1 503") && refused.contains("too-many-connections"),
            "{command}: {refused}"
        );
        // The slow bodies are cut off after the body timeout, with a 408.
        let started = Instant::now();
        for s in &mut slow {
            let answer = read_all(s);
            assert!(answer.starts_with("HTTP/1.1 408"), "{command}: {answer}");
            assert!(
                answer.contains("did not arrive within 1s"),
                "{command}: {answer}"
            );
        }
        assert!(started.elapsed() < BOUNDED);
        // Their slots are free again.
        let mut status = 0;
        for _ in 0..50 {
            status = send(&running.url, "GET", &path, &[], None).await.status;
            if status != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, 200, "{command}");
        let stopped = running.stop();
        assert_eq!(stopped.code, Some(0), "{command}: {stopped}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stderr_nobody_reads_never_stops_the_mock() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimeo"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("mimeo: listening on ") {
            url = u.to_string();
            break;
        }
    }
    // About 2 MB of log lines, far more than a pipe holds, while nobody reads it.
    let long = format!("/{}", "x".repeat(2000));
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..8 {
        let (url, long) = (url.clone(), long.clone());
        tasks.spawn(async move {
            for i in 0..125 {
                let r = send_anonymous(&url, "GET", &format!("{long}/{t}/{i}"), &[], "").await;
                assert_eq!(r.status, 404);
            }
        });
    }
    let all = async {
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    };
    // A mock blocked on its log would never answer: a timeout turns that into a failure.
    if tokio::time::timeout(BOUNDED, all).await.is_err() {
        let _ = child.kill();
        panic!("the mock stopped answering while its stderr was not read");
    }
    // Now read it: the mock says how many lines it had to drop.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let text = reader.join().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        text.contains("log line(s) dropped"),
        "{}",
        &text[text.len().saturating_sub(500)..]
    );
    assert!(text.len() < 3 * 1024 * 1024, "{}", text.len());
}

/// The path of FetchProfileIdentifier, which the hostile target's answers are
/// checked as.
fn fetch_path() -> String {
    format!(
        "/v1/Stores/{}/Profiles/{}/Identifiers/email",
        crate::common::STORE,
        crate::common::PROFILE
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_breaking_answer_gets_a_bounded_report() {
    use crate::common::hostile::{by_size, wrong_items, Hostile};
    let target = Hostile::start(by_size);
    let running = spawn_command("proxy", &["--target", &target.base, "--port", "0"]);
    // 1,000 broken items: 20 listed, the rest counted.
    let r = send(
        &running.url,
        "GET",
        &format!("{}?wrong=1000", fetch_path()),
        &[],
        None,
    )
    .await;
    assert_eq!(r.body.len(), wrong_items(1000).len());
    // 300,000 broken items: more values than are looked through one by one.
    let started = Instant::now();
    let r = send(
        &running.url,
        "GET",
        &format!("{}?wrong=300000", fetch_path()),
        &[],
        None,
    )
    .await;
    assert!(started.elapsed() < BOUNDED);
    assert_eq!(r.status, 200);
    assert_eq!(
        &r.body[..],
        &wrong_items(300_000)[..],
        "passed on unchanged"
    );
    let stopped = running.stop();
    let lines: Vec<&str> = stopped
        .stderr
        .lines()
        .filter(|l| l.contains("] GET "))
        .collect();
    assert_eq!(lines.len(), 2, "{stopped}");
    // `values` also allows at most 10 items: 1,001 violations in all.
    assert!(
        lines[0].contains("(1001 violation(s): body_schema: at /values: maxItems:")
            && lines[0].contains("body_schema: at /values/0: type:")
            && lines[0].contains("and 981 more violations of the schema"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[0].matches("body_schema: at /values").count(), 20);
    assert!(
        lines[1].contains("(1 violation(s): body_schema: at /values")
            && lines[1].contains("and possibly more violations of the schema (not looked for)"),
        "{}",
        lines[1]
    );
    for l in &lines {
        assert!(l.len() <= 9 * 1024, "a log line of {} bytes", l.len());
    }
    let counted = stopped
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("body_schema"))
        .unwrap_or_default();
    assert!(
        counted.split_whitespace().nth(1) == Some("1002"),
        "the summary counts every violation found: {stopped}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_past_the_proxys_check_memory_pass_through_unchecked() {
    use crate::common::hostile::{by_size, many_values, wrong_items, Hostile};
    let target = Hostile::start(by_size);
    let running = spawn_command(
        "proxy",
        &[
            "--target",
            &target.base,
            "--port",
            "0",
            "--check-memory",
            "8MiB",
            "--max-checked-size",
            "1MiB",
        ],
    );
    // Longer than --max-checked-size: streamed on, not checked.
    let r = send(
        &running.url,
        "GET",
        &format!("{}?wrong=600000", fetch_path()),
        &[],
        None,
    )
    .await;
    assert_eq!(&r.body[..], &wrong_items(600_000)[..]);
    // Small enough to hold, but parsing its 400,000 values would take more than
    // the 8 MiB the proxy may use for checking.
    let r = send(
        &running.url,
        "GET",
        &format!("{}?wrong=400000", fetch_path()),
        &[],
        None,
    )
    .await;
    assert_eq!(&r.body[..], &wrong_items(400_000)[..]);
    // Within both: checked.
    let r = send(
        &running.url,
        "GET",
        &format!("{}?good=10", fetch_path()),
        &[],
        None,
    )
    .await;
    assert_eq!(&r.body[..], &many_values(10)[..]);
    // A small answer is still checked.
    let r = send(
        &running.url,
        "GET",
        &format!("{}?wrong=3", fetch_path()),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let stopped = running.stop();
    let log = &stopped.stderr;
    assert!(
        log.contains("[body not checked: it is longer than 1 MiB (--max-checked-size)]"),
        "{stopped}"
    );
    assert!(
        log.contains("[body not checked: the proxy's check memory (--check-memory 8 MiB) was in use by other answers]"),
        "{stopped}"
    );
    assert!(log.contains("(3 violation(s): body_schema"), "{stopped}");
    assert!(
        log.contains("2 answer(s) passed on without their body checked"),
        "{stopped}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_data_is_bounded_and_never_holds_up_other_requests() {
    let dir = tempfile::tempdir().unwrap();
    // A thousand lists of a thousand strings of 4,000 characters: 4 GB as asked.
    let spec = write(
        dir.path(),
        "big.yaml",
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /big:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: array\n                minItems: 1000\n                items:\n                  type: array\n                  minItems: 1000\n                  items: {type: string, minLength: 4000}\n  /small:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: object, properties: {a: {type: string}}}\n",
    );
    let running = spawn_command("serve", &["--spec", &spec, "--port", "0", "--quiet"]);
    let started = Instant::now();
    let mut big = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let url = running.url.clone();
        big.spawn(
            async move { send(&url, "GET", "/big", &[("prefer", "dynamic=true")], None).await },
        );
    }
    // Meanwhile, other requests are answered.
    for _ in 0..20 {
        let r = send(&running.url, "GET", "/small", &[], None).await;
        assert_eq!(r.status, 200);
    }
    while let Some(r) = big.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.status, 200);
        assert!(r.body.len() < 16 * 1024 * 1024, "{} bytes", r.body.len());
    }
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    let peak = running.peak_rss_mib();
    let stopped = running.stop();
    assert_eq!(stopped.code, Some(0), "{stopped}");
    assert!(peak < 400, "peak RSS {peak} MiB");
    assert!(
        stopped
            .stderr
            .contains("cannot generate a body that matches the schema"),
        "{stopped}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backtracking_patterns_cost_a_bounded_time_per_request() {
    let dir = tempfile::tempdir().unwrap();
    // A lookahead that rescans the rest of the value at every position: minutes
    // of CPU for one value of a megabyte, were it matched in full.
    let spec = write(
        dir.path(),
        "lookahead.yaml",
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /check:\n    post:\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n                one: {type: string, pattern: '(?=.*x)(.)\\1'}\n                many: {type: array, items: {type: string, pattern: '(?=.*x)(.)\\1'}}\n      responses:\n        '200': {description: ok}\n",
    );
    let running = spawn_command(
        "serve",
        &["--spec", &spec, "--port", "0", "--max-body-size", "4MiB"],
    );
    let url = running.url.clone();
    let check = |body: String| {
        let url = url.clone();
        async move { send(&url, "POST", "/check", &[], Some(&body)).await }
    };
    // Short values are matched.
    assert_eq!(check(r#"{"one":"aax"}"#.into()).await.status, 200);
    let r = check(r#"{"one":"abx"}"#.into()).await;
    assert_eq!(r.status, 400);
    // The document has no error body: mimeo's RFC 9457 problem.
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("body /one: pattern:"),
        "{}",
        r.json()
    );
    // One value of a megabyte (too long to match: it passes), and two thousand
    // of a thousand characters each (the first 16 KiB of them are matched, and
    // break the pattern).
    let long = format!(r#"{{"one":"{}"}}"#, "ab".repeat(500_000));
    let many = format!(
        r#"{{"many":[{}]}}"#,
        vec![format!("\"{}\"", "ab".repeat(500)); 2000].join(",")
    );
    let started = Instant::now();
    let mut all = tokio::task::JoinSet::new();
    for i in 0..4 {
        let body = if i % 2 == 0 {
            long.clone()
        } else {
            many.clone()
        };
        let url = url.clone();
        all.spawn(async move { (i % 2, send(&url, "POST", "/check", &[], Some(&body)).await) });
    }
    while let Some(r) = all.join_next().await {
        let (kind, r) = r.unwrap();
        assert_eq!(r.status, if kind == 0 { 200 } else { 400 });
    }
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    let stopped = running.stop();
    assert!(
        stopped.stderr.contains("uses backreferences or lookaround")
            && stopped.stderr.contains("only up to 1024 characters"),
        "{stopped}"
    );
}

#[test]
fn a_scenario_with_thousands_of_mistakes_gets_a_bounded_list() {
    // 4,000 declared variables and 4,000 steps that each read an unknown one:
    // every message listing every known name would be 400 MB.
    let mut text = String::from("name: many\nvars:\n");
    for i in 0..4_000 {
        text.push_str(&format!("  known_variable_number_{i}: v\n"));
    }
    text.push_str("steps:\n");
    for i in 0..4_000 {
        text.push_str(&format!(
            "  - request: {{method: GET, path: \"/x/{{{{unknown_{i}}}}}\"}}\n    outside_contract: true\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "many.yaml", &text);
    let mut cmd = crate::common::replay::replay();
    cmd.args([
        file.as_str(),
        "--snapshots",
        dir.path().join("s").to_str().unwrap(),
    ]);
    let started = Instant::now();
    let run = crate::common::replay::run(cmd);
    assert!(started.elapsed() < BOUNDED, "took {:?}", started.elapsed());
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.len() < 64 * 1024,
        "{} bytes of errors",
        run.stderr.len()
    );
    assert!(
        run.stderr
            .contains("unknown variable `{{unknown_0}}` (known here: run_id, uuid, now, known_variable_number_0, ")
            && run.stderr.contains(" and 3993 more)"),
        "{}",
        &run.stderr[..2000.min(run.stderr.len())]
    );
    assert!(
        run.stderr
            .contains("and 3900 more problem(s) in this file, not listed"),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(500)..]
    );
}

/// One request of [`traffic`]: method, path, headers and body.
type Request = (&'static str, String, Vec<(String, String)>, Option<String>);

/// Sends `n` requests through `url`, `tasks` at a time; `make(i)` gives each one.
async fn traffic(url: &str, n: usize, tasks: usize, make: fn(usize) -> Request) {
    let mut all = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let url = url.to_string();
        all.spawn(async move {
            for i in (t..n).step_by(tasks) {
                let (method, path, headers, body) = make(i);
                let mut headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if body.is_some() {
                    headers.push(("content-type", "application/json"));
                }
                // Exactly the headers made: credentials only where `make` gives them.
                send_anonymous(&url, method, &path, &headers, body.as_deref().unwrap_or("")).await;
            }
        });
    }
    while let Some(done) = all.join_next().await {
        done.unwrap();
    }
}

fn recorded_steps(dir: &Path) -> Vec<(String, usize)> {
    let contract = crate::common::contract();
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let scenario = mimeo::Scenario::from_file(&p, &contract)
            .unwrap_or_else(|e| panic!("{} does not load: {:?}", p.display(), &e[..1]));
        out.push((p.display().to_string(), scenario.step_count()));
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "heavy: thousands of exchanges and 40 MB of bodies; run by .ci/run"]
async fn long_sessions_are_split_into_files_that_each_load() {
    // A client that sends no credentials, to a mock that asks for none.
    let mock = crate::common::start(mimeo::ServeOptions {
        enforce_auth: false,
        ..mimeo::ServeOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let running = spawn_command(
        "proxy",
        &[
            "--target",
            &mock.url(),
            "--port",
            "0",
            "--quiet",
            "--record",
            rec.to_str().unwrap(),
            "--one-scenario",
        ],
    );
    // 2,100 small exchanges, then 40 with a body of a megabyte.
    traffic(&running.url, 2_100, 8, |i| {
        (
            "GET",
            format!("{}?page={i}", fetch_path()),
            Vec::new(),
            None,
        )
    })
    .await;
    traffic(&running.url, 40, 4, |i| {
        let path = format!(
            "/v1/Stores/{}/Profiles/{}/Identifiers",
            crate::common::STORE,
            crate::common::PROFILE
        );
        let body = format!(
            r#"{{"idType":"email","value":"{i}{}"}}"#,
            "v".repeat(1_000_000)
        );
        ("POST", path, Vec::new(), Some(body))
    })
    .await;
    let started = Instant::now();
    let stopped = running.stop();
    assert!(
        started.elapsed() < BOUNDED,
        "stopping took {:?}",
        started.elapsed()
    );
    assert_eq!(stopped.code, Some(0), "{stopped}");
    assert!(!stopped.stderr.contains("recording failed"), "{stopped}");
    let files = recorded_steps(&rec);
    let steps: usize = files.iter().map(|(_, n)| n).sum();
    assert_eq!(steps, 2_140, "{files:?}");
    assert!(files.len() >= 5, "{files:?}");
    assert!(files.iter().all(|(_, n)| *n <= 1000), "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "heavy: thousands of exchanges; run by .ci/run"]
async fn thousands_of_distinct_credentials_are_scrubbed_and_stop_quickly() {
    // Bearer tokens to a Basic contract: the mock takes them as it did before
    // security was enforced, so the answers are the operation's own.
    let mock = crate::common::start(mimeo::ServeOptions {
        enforce_auth: false,
        ..mimeo::ServeOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let running = spawn_command(
        "proxy",
        &[
            "--target",
            &mock.url(),
            "--port",
            "0",
            "--quiet",
            "--record",
            rec.to_str().unwrap(),
            "--one-scenario",
        ],
    );
    // Every request with a token of its own, echoed in a body field as well.
    traffic(&running.url, 5_000, 8, |i| {
        let token = format!("tok{i:06}-distinct-credential");
        let path = format!(
            "/v1/Stores/{}/Profiles/{}/Identifiers",
            crate::common::STORE,
            crate::common::PROFILE
        );
        let body = format!(r#"{{"idType":"note","value":"{token}"}}"#);
        (
            "POST",
            path,
            vec![("authorization".to_string(), format!("Bearer {token}"))],
            Some(body),
        )
    })
    .await;
    let started = Instant::now();
    let stopped = running.stop();
    assert!(
        started.elapsed() < BOUNDED,
        "stopping took {:?}",
        started.elapsed()
    );
    assert_eq!(stopped.code, Some(0), "{stopped}");
    let files = recorded_steps(&rec);
    let steps: usize = files.iter().map(|(_, n)| n).sum();
    assert_eq!(steps, 5_000, "{files:?}");
    for e in std::fs::read_dir(&rec).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains("-distinct-credential"), "a token leaked");
    }
}

/// A request's own text quoted in a message is cut to its first 200 bytes and
/// its size: a hostile request cannot make the mock echo it whole into the
/// answer (twice: `detail` and `violations`), the log line and the journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_request_values_are_quoted_only_in_part() {
    let doc = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    post:\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: string}}\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: object}\n              examples: {one: {value: {}}}\n";
    let contract = std::sync::Arc::new(mimeo::Contract::from_text("long.yaml", doc).unwrap());
    let server = mimeo::MockServer::start(contract, mimeo::ServeOptions::default())
        .await
        .unwrap();
    let url = server.url();
    let long = "A".repeat(50_000);
    let content_type = format!("text/{long}");
    let code = format!("code={long}");
    let example = format!("example={long}");
    let fault = format!("fault={long}");
    let delay = format!("delay={long}");
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/a/1".into(), vec![("content-type", content_type.as_str())]),
        ("/a/1".into(), vec![("prefer", code.as_str())]),
        ("/a/1".into(), vec![("prefer", example.as_str())]),
        ("/a/1".into(), vec![("prefer", fault.as_str())]),
        ("/a/1".into(), vec![("prefer", delay.as_str())]),
        (format!("/a/%FF{long}"), vec![]),
        (format!("/a/1?__code={long}"), vec![]),
    ];
    for (path, headers) in &cases {
        let r = send(&url, "POST", path, headers, Some("{}")).await;
        assert!(matches!(r.status, 400 | 422), "{path}: {}", r.status);
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            text.len() < 2_000 && text.contains("AAA… (") && text.contains("bytes in all"),
            "{path} {headers:?}: {} bytes: {}",
            text.len(),
            &text[..text.len().min(500)]
        );
    }
    // The journal keeps what each answer said, as cut; only its record of
    // the request itself holds the value whole.
    let journal = send(&url, "GET", "/__admin/requests", &[], None)
        .await
        .json();
    let entries = journal["requests"].as_array().expect("a list");
    assert_eq!(entries.len(), cases.len());
    for e in entries {
        let mut e = e.clone();
        e.as_object_mut().unwrap().remove("request");
        let text = e.to_string();
        assert!(
            text.len() < 2_000 && !text.contains(&long[..1_000]),
            "{}",
            &text[..text.len().min(500)]
        );
    }
}
