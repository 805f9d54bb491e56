"""mimeo's GitHub Action (action.yml, stop/action.yml), run here the way the
runner runs composite actions (runner.py): installing from the npm packages
built from this checkout, starting, answering, stopping, and failing where it
must. MIMEO_CI_ROOT is the checkout, MIMEO_CI_NPM_DIR holds the packages."""

import base64
import json
import os
import urllib.request
from pathlib import Path

import pytest
from runner import Runner

ROOT = Path(os.environ["MIMEO_CI_ROOT"])
NPM = Path(os.environ["MIMEO_CI_NPM_DIR"])
BASE = "/v1/Stores/mem_store_00000000000000000000000001/Profiles/mem_profile_00000000000000000000000001/Identifiers"


def packages():
    found = sorted(str(p) for p in NPM.glob("*.tgz"))
    assert len(found) >= 2, found
    return " ".join(found)


# What the twilio helper libraries send: an Account SID and a token, as Basic
# credentials (the mock enforces the contract's security and takes any).
AUTHORIZATION = "Basic " + base64.b64encode(b"AC00000000000000000000000000000001:token").decode()


def request(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": AUTHORIZATION}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=5) as res:
        return res.status, json.load(res)


@pytest.fixture
def runner(tmp_path):
    runner = Runner(tmp_path)
    yield runner
    # Whatever a test left running is stopped.
    pid = tmp_path / "mimeo-serve" / "pid"
    if pid.exists() and not (tmp_path / "mimeo-serve" / "status").exists():
        os.kill(int(pid.read_text()), 9)


def test_installs_from_npm_starts_answers_and_stops(runner):
    started = runner.run(
        ROOT,
        {
            "npm-packages": packages(),
            "stateful": True,
            "rules": "DELETE /v1/ControlPlane/Stores/*=429\n\n",
            "args": "--seed 7",
        },
    )
    assert started.ok, started.log
    url = started.outputs["base-url"]
    assert url.startswith("http://127.0.0.1:")
    assert started.env["MIMEO_URL"] == url
    assert "mimeo-npm/node_modules/mimeo-linux-x64/bin/mimeo" in started.outputs["binary"]
    assert "--seed 7" in started.log and "--stateful" in started.log

    assert request(url + BASE, "POST", {"idType": "email", "value": "Ada@Example.com"})[0] == 202
    assert request(url + BASE + "/email") == (200, {"idType": "email", "values": ["ada@example.com"]})
    with pytest.raises(urllib.error.HTTPError) as err:
        request(url + "/v1/ControlPlane/Stores/mem_store_00000000000000000000000001", "DELETE")
    # (The error holds the answer's connection: closed, or it is a ResourceWarning.)
    err.value.close()
    assert err.value.code == 429

    stopped = runner.run(ROOT / "stop")
    assert stopped.ok, stopped.log
    assert stopped.outputs["exit-status"] == "0"
    assert "POST /v1/Stores/" in stopped.log and "-> 429" in stopped.log
    with pytest.raises(OSError):
        request(url + BASE + "/email")


def test_a_second_start_in_the_same_job_is_refused(runner):
    binary = os.environ["MIMEO_CI_BINARY"]
    assert runner.run(ROOT, {"binary": binary}).ok
    again = runner.run(ROOT, {"binary": binary})
    assert not again.ok and again.failed_step == "start"
    assert "already running" in again.log
    assert runner.run(ROOT / "stop").ok


def test_a_mock_that_cannot_start_fails_the_start_step_with_its_reason(runner):
    result = runner.run(ROOT, {"binary": os.environ["MIMEO_CI_BINARY"], "spec": "/nonexistent/api.yaml"})
    assert not result.ok and result.failed_step == "start"
    assert "exited with status 2 before listening" in result.log
    assert "/nonexistent/api.yaml" in result.log


def test_bad_inputs_are_refused(runner):
    result = runner.run(ROOT, {"binary": os.environ["MIMEO_CI_BINARY"], "stateful": "yes"})
    assert not result.ok and "stateful must be true or false" in result.log
    result = runner.run(ROOT, {"binary": "/nonexistent/mimeo"})
    assert not result.ok and result.failed_step == "install"


def test_a_crashed_mock_fails_the_stop_step(runner, tmp_path):
    started = runner.run(ROOT, {"binary": os.environ["MIMEO_CI_BINARY"]})
    assert started.ok, started.log
    os.kill(int(started.outputs["pid"]), 9)
    stopped = runner.run(ROOT / "stop")
    assert not stopped.ok
    assert "exited with status 137" in stopped.log


def test_reports_and_fail_on_violation(runner, tmp_path):
    """A request that breaks the contract fails the stop step, and the
    verdict is in the JUnit and JSON reports."""
    report, report_json = tmp_path / "mimeo.xml", tmp_path / "mimeo.json"
    binary = os.environ["MIMEO_CI_BINARY"]
    inputs = {"binary": binary, "report": str(report), "report-json": str(report_json)}
    started = runner.run(ROOT, {**inputs, "fail-on-violation": True})
    assert started.ok, started.log
    url = started.outputs["base-url"]
    assert request(url + BASE, "POST", {"idType": "email", "value": "a@example.com"})[0] == 202
    with pytest.raises(urllib.error.HTTPError) as err:
        request(url + BASE, "POST", {"idType": "email"})  # no value: breaks the contract
    err.value.close()
    assert err.value.code == 400
    stopped = runner.run(ROOT / "stop")
    assert not stopped.ok, "a violation fails the stop step"
    assert "exited with status 1" in stopped.log
    assert "broke the contract" in stopped.log
    verdict = json.loads(report_json.read_text())
    assert verdict["passed"] is False and verdict["requests"] == 2, verdict
    assert "<testsuite" in report.read_text()

    # The same traffic without the violation passes.
    started = runner.run(ROOT, {**inputs, "fail-on-violation": True})
    assert started.ok, started.log
    assert request(started.outputs["base-url"] + BASE + "/email")[0] == 200
    stopped = runner.run(ROOT / "stop")
    assert stopped.ok, stopped.log
    assert json.loads(report_json.read_text())["passed"] is True


def test_verdict_flags_missing_from_an_older_mimeo_stop_the_start(runner, tmp_path):
    """A mimeo without the verdict flags (an older `version`, or any `binary`)
    is refused at start rather than run without the check."""
    old = tmp_path / "old-mimeo"
    real = os.environ["MIMEO_CI_BINARY"]
    # The real binary, with `serve --help` answered as a mimeo without them would.
    old.write_text(
        "#!/bin/sh\n"
        f'if [ "$1 $2" = "serve --help" ]; then "{real}" serve --help | grep -v -e --report -e --fail-on-violation; exit 0; fi\n'
        f'exec "{real}" "$@"\n'
    )
    old.chmod(0o755)
    for name, value in (("report", str(tmp_path / "r.xml")), ("report-json", str(tmp_path / "r.json")), ("fail-on-violation", True)):
        result = runner.run(ROOT, {"binary": str(old), name: value})
        assert not result.ok and result.failed_step == "start", (name, result.log)
        assert "has no 'serve --" in result.log, result.log
