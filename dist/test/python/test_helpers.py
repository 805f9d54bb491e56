"""The mimeo-mock wheel itself: the `mimeo` command it installs, where the
module finds the binary, MIMEO_BINARY, and start_mock's readiness, failure and
stop behaviour."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

import mimeo_mock
from mimeo_mock import MimeoError, start_mock

IDENTIFIER = (
    "/v1/Stores/mem_store_00000000000000000000000000"
    "/Profiles/mem_profile_00000000000000000000000000/Identifiers/email"
)


def get(url):
    """GET with Basic credentials, as the twilio libraries send them: the mock
    enforces the contract's security (and takes any user and password)."""
    token = base64.b64encode(b"AC00000000000000000000000000000001:token").decode()
    req = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    return urllib.request.urlopen(req, timeout=5)


def test_the_wheel_puts_mimeo_among_the_environments_scripts():
    assert "MIMEO_BINARY" not in os.environ
    expected = Path(sysconfig.get_path("scripts")) / "mimeo"
    assert mimeo_mock.binary_path() == str(expected)
    assert shutil.which("mimeo", path=str(expected.parent)) == str(expected)
    out = subprocess.run([str(expected), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("mimeo ") and '"Twilio - Memory"' in out.stdout


def test_the_plugin_is_registered_by_entry_point(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("mimeo")


def test_mimeo_binary_overrides(tmp_path, monkeypatch):
    fake = tmp_path / "fake-mimeo"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MIMEO_BINARY", str(fake))
    assert mimeo_mock.binary_path() == str(fake)


def test_options_become_serve_flags():
    assert mimeo_mock.serve_args(
        "api.yaml", stateful=True, rules=["GET /a=404"], port=0, args=["--seed", "3"]
    ) == ["serve", "--port", "0", "--spec", "api.yaml", "--stateful", "--status", "GET /a=404", "--seed", "3"]


def test_one_rule_may_be_given_as_a_string():
    assert mimeo_mock.serve_args(rules="GET /a=404") == ["serve", "--port", "0", "--status", "GET /a=404"]


def test_a_stopped_mock_leaves_no_pipe_open():
    # An unclosed pipe is a ResourceWarning: an error under `filterwarnings = error`.
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with start_mock():
            pass
        with pytest.raises(MimeoError):
            with start_mock("/nonexistent/api.yaml"):
                pass
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]


def test_the_fixture_fails_the_test_when_the_mocks_verdict_fails(tmp_path):
    (tmp_path / "test_broken.py").write_text(
        "import urllib.error, urllib.request, pytest\n"
        "@pytest.mark.mimeo(args=['--fail-on-violation'])\n"
        "def test_breaks(mimeo_mock):\n"
        "    with pytest.raises(urllib.error.HTTPError):\n"
        "        urllib.request.urlopen(mimeo_mock.url + '/v1/Nowhere', timeout=5)\n"
        "@pytest.mark.mimeo(args=['--fail-on-violation'])\n"
        "def test_keeps(mimeo_mock):\n"
        "    pass\n"
        "@pytest.mark.mimeo(args=['--fail-on-violation'])\n"
        "def test_checks_itself(mimeo_mock):\n"
        "    with pytest.raises(urllib.error.HTTPError):\n"
        "        urllib.request.urlopen(mimeo_mock.url + '/v1/Nowhere', timeout=5)\n"
        "    assert mimeo_mock.stop() == 1\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    # (test_breaks passes, then errs at teardown; test_checks_itself does not.)
    assert "3 passed, 1 error" in run.stdout, run.stdout
    assert "ERROR test_broken.py::test_breaks" in run.stdout, run.stdout
    assert "mimeo serve exited with status 1 (its verdict)" in run.stdout, run.stdout


def test_a_mock_never_stopped_stops_when_its_interpreter_is_killed():
    # No atexit (SIGKILL, os._exit): the closed input pipe stops the mock.
    script = "import sys, time; from mimeo_mock import Mock; print(Mock.start().pid, flush=True); time.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline().strip())
        assert alive(pid)
        parent.kill()
        parent.wait(timeout=10)
        for _ in range(100):
            if not alive(pid):
                return
            time.sleep(0.1)
        os.kill(pid, 9)
        raise AssertionError(f"mimeo (pid {pid}) outlived the killed interpreter")
    finally:
        parent.kill()
        parent.stdout.close()
        parent.wait()


def alive(pid):
    """Running, and not a zombie no one has reaped yet (where PID 1 does not reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not re.match(r"^\d+ \(.*\) Z", f.read())
    except OSError:
        return True


def test_start_mock_answers_then_stops():
    with start_mock() as mock:
        with get(mock.url + IDENTIFIER) as res:
            assert res.status == 200
            assert json.load(res)["idType"] == "email"
        pid = mock.pid
    assert mock.process.returncode == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # A request log line: `TIME [SESSION] GET /v1/Stores/... -> 200 ...`.
    assert any(re.search(r" GET /v1/Stores/\S+ -> 200 ", line) for line in mock.log()), mock.log()


def test_start_mock_says_why_it_did_not_start():
    with pytest.raises(MimeoError, match=r"exited \(status 2\) before listening[\s\S]*nonexistent"):
        with start_mock("/nonexistent/api.yaml"):
            pass


def test_start_mock_gives_up_after_its_timeout(tmp_path):
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(MimeoError, match="not listening after 0.3 s"):
        with start_mock(binary=str(slow), timeout=0.3):
            pass
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("mimeo_mock", [{"rules": ["GET /v1/Stores/*/Profiles/*/Identifiers/*=404"]}], indirect=True)
def test_fixture_takes_indirect_parameters(mimeo_mock):
    with pytest.raises(urllib.error.HTTPError) as err:
        get(mimeo_mock.url + IDENTIFIER)
    assert err.value.code == 404


def test_a_mock_never_stopped_dies_with_the_interpreter():
    script = "from mimeo_mock import Mock; print(Mock.start().pid)"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    pid = int(run.stdout.strip())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    raise AssertionError(f"mimeo (pid {pid}) outlived the interpreter")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_forked_child_does_not_keep_the_mock_alive():
    # --stop-on-stdin-close waits for every writer of the mock's input: a child
    # made by os.fork() (multiprocessing's fork start method) must not hold one.
    import warnings

    mock = mimeo_mock.Mock.start()
    try:
        with warnings.catch_warnings():
            # (Python 3.12 warns about forking a process that has threads.)
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:
            try:
                time.sleep(30)
            finally:
                os._exit(0)
        try:
            mock.process.stdin.close()
            try:
                mock.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                raise AssertionError("the mock outlived its parent's input pipe while a forked child held a copy")
            assert os.waitpid(child, os.WNOHANG) == (0, 0), "the child was still sleeping"
        finally:
            os.kill(child, 9)
            os.waitpid(child, 0)
    finally:
        mock.stop()
