//! Hostile input meets bounds: documents, requests, answers and files built to
//! make mimeo spend unbounded memory or time get a bounded answer instead, each
//! through the real binary or server. Every test here stops by itself well
//! within its watchdog; the heavier ones are `#[ignore]`d and run by `.ci/run`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::proxy::spawn_command;
use crate::common::send;

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
