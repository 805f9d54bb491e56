"""mimeo's GitHub Action (action.yml, stop/action.yml), run here the way the
runner runs composite actions (runner.py): installing from the npm packages
built from this checkout, starting, answering, stopping, and failing where it
must. MIMEO_CI_ROOT is the checkout, MIMEO_CI_NPM_DIR holds the packages."""

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from runner import Runner

ROOT = Path(os.environ["MIMEO_CI_ROOT"])
NPM = Path(os.environ["MIMEO_CI_NPM_DIR"])
FLAGS = ("--report", "--fail-on-violation")
BASE = "/v1/Stores/mem_store_00000000000000000000000001/Profiles/mem_profile_00000000000000000000000001/Identifiers"


def packages():
    found = sorted(str(p) for p in NPM.glob("*.tgz"))
    assert len(found) >= 2, found
    return " ".join(found)


def request(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
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


def test_report_and_fail_on_violation_are_used_when_this_mimeo_has_them(runner, tmp_path):
    """`serve --report` and `--fail-on-violation` come with a later mimeo; the
    action passes them on when the binary has them and otherwise refuses to
    start rather than silently doing without."""
    binary = os.environ["MIMEO_CI_BINARY"]
    help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
    has = {flag: re.search(rf"(^|\s){flag}(\s|=|$)", help_text, re.M) is not None for flag in FLAGS}
    report = tmp_path / "report.json"
    result = runner.run(ROOT, {"binary": binary, "report": str(report), "fail-on-violation": True})
    if not all(has.values()):
        assert not result.ok and result.failed_step == "start"
        assert "has no 'serve --report'" in result.log or "has no 'serve --fail-on-violation'" in result.log
        return
    assert result.ok, result.log
    url = result.outputs["base-url"]
    with pytest.raises(urllib.error.HTTPError):
        request(url + BASE, "POST", {"idType": ""})  # breaks the contract
    stopped = runner.run(ROOT / "stop")
    assert not stopped.ok, "a violation fails the stop step"
    assert report.exists()
