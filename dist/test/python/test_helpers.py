"""The mimeo-mock wheel itself: the `mimeo` command it installs, where the
module finds the binary, MIMEO_BINARY, start_mock's readiness, failure and
stop behaviour, and the Mock's control calls."""

import base64
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import mimeo_mock
from mimeo_mock import MimeoAdminError, MimeoError, start_mock

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
    # The error holds the answer's connection: left open, it was an unclosed
    # socket (a ResourceWarning, an error under `-X dev -W error`).
    err.value.close()
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


STORE = "mem_store_00000000000000000000000001"
PROFILE = "mem_profile_00000000000000000000000001"
IDENTIFIERS = f"/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers"
AUTHORIZATION = "Basic " + base64.b64encode(b"AC00000000000000000000000000000001:token").decode()


def holding(id_type, value):
    return {"stores": {STORE: {"profiles": {PROFILE: {"identifiers": {id_type: [value]}}}}}}


def send(mock, session, method, path, body=None):
    """A client's request in `session`; its status and JSON answer."""
    headers = {**session.headers, "Authorization": AUTHORIZATION, "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(mock.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as e:
        with e:
            return e.code, None


@pytest.mark.mimeo(stateful=True, quiet=True)
def test_the_control_calls_see_and_shape_two_sessions(mimeo_mock):
    mock = mimeo_mock
    assert mock.admin_url == mock.url + "/__admin"
    a, b = mock.session("team-a"), mock.session("team-b")
    assert a.name == "team-a"
    assert a.headers == {"X-Mimeo-Session": "team-a"}
    with pytest.raises(ValueError):
        mock.session(" ")
    assert send(mock, a, "POST", IDENTIFIERS, {"idType": "email", "value": "ada@example.com"})[0] == 202
    assert send(mock, b, "POST", IDENTIFIERS, {"idType": "phone", "value": "+15551234567"})[0] == 202
    assert send(mock, b, "GET", "/v1/Nowhere")[0] == 404

    # The journal: newest first, every session, filtered by the endpoint.
    entries = mock.requests()
    assert [(e["session"], e["request"]["method"], e["status"]) for e in entries] == [
        ("team-b", "GET", 404),
        ("team-b", "POST", 202),
        ("team-a", "POST", 202),
    ]
    assert [e["id"] for e in mock.requests(session="team-a")] == [entries[2]["id"]]
    assert [e["request"]["body"] for e in a.requests()] == ['{"idType": "email", "value": "ada@example.com"}']
    assert len(b.requests()) == 2
    assert len(mock.requests(operation="CreateProfileIdentifier")) == 2
    assert mock.requests(limit=1)[0]["id"] == entries[0]["id"]
    assert len(b.requests(unmatched=True)) == 1
    with pytest.raises(ValueError):
        a.requests(session="team-b")
    assert [e["request"]["url"] for e in mock.unmatched()] == ["/v1/Nowhere"]
    assert a.unmatched() == []
    time.sleep(0.005)
    since = datetime.datetime.now()  # naive: local time
    assert mock.requests(since=since) == []
    assert send(mock, a, "GET", IDENTIFIERS + "/email")[0] == 200
    assert [e["request"]["method"] for e in mock.requests(since=since)] == ["GET"]
    assert len(mock.requests(since=since.astimezone(datetime.timezone.utc))) == 1
    # Epoch milliseconds and RFC 3339 text go to the endpoint as they are.
    assert len(mock.requests(since=int(since.timestamp() * 1000))) == 1
    assert len(mock.requests(since=since.astimezone().isoformat())) == 1

    # Request patterns, scoped or not.
    assert mock.count() == 4
    assert mock.count({"method": "POST"}) == 2
    assert a.count({"method": "POST"}) == 1
    assert mock.count({"bodyPatterns": [{"jsonPointer": "/idType", "equalTo": "phone"}]}) == 1
    assert [json.loads(e["request"]["body"])["value"] for e in b.find({"method": "POST"})] == ["+15551234567"]
    assert a.find({"method": "DELETE"}) == []

    # State: each session's own; the Mock's is the default session's.
    assert a.state() == holding("email", "ada@example.com")
    assert b.state() == holding("phone", "+15551234567")
    assert mock.state() == {}
    c = mock.session("team-c")
    c.set_state(holding("email", "grace@example.com"))
    assert c.state() == holding("email", "grace@example.com")
    assert send(mock, c, "GET", IDENTIFIERS + "/email")[1]["values"] == ["grace@example.com"]

    # Resetting one session empties it (state and journal) and leaves the others.
    a.reset()
    assert a.state() == {}
    assert a.requests() == []
    assert b.state() == holding("phone", "+15551234567")
    assert len(b.requests()) == 2
    assert b.clear_requests() == 2
    assert b.requests() == []
    assert b.state() == holding("phone", "+15551234567"), "clearing the journal keeps the state"
    assert len(mock.requests()) == 1

    # The verdict counts the whole run, whatever the journal holds now.
    verdict = mock.verdict()
    assert verdict["requests"] == 5
    create = next(o for o in verdict["operations"] if o["operationId"] == "CreateProfileIdentifier")
    assert create["calls"] == 2
    assert verdict["unmatched"]["calls"] == 1

    # A refused call raises with the server's status and message.
    with pytest.raises(MimeoAdminError) as refused:
        mock.count({"sesion": "team-a"})
    assert refused.value.status == 400
    assert refused.value.kind == "invalid-pattern"
    assert re.search(r"POST http://\S+/__admin/requests/count answered 400: .*unknown field `sesion`", str(refused.value))
    # Filters go to the endpoint as given: a bad value is the server's 400.
    with pytest.raises(MimeoAdminError, match="since=`yesterday` is not a time") as refused:
        mock.requests(since="yesterday")
    assert refused.value.status == 400
    with pytest.raises(MimeoAdminError, match=r"the state was refused: state: at #/stores") as refused:
        c.set_state({"stores": 5})
    assert (refused.value.status, refused.value.kind) == (400, "invalid-state")
    assert c.state() == holding("email", "grace@example.com"), "a refused state changes nothing"

    # The Mock's reset is every session's.
    mock.reset()
    assert b.state() == {}
    assert c.state() == {}
    assert mock.requests() == []


def test_a_session_name_is_visible_ascii_as_the_header_carries_it():
    # urllib sends a header as latin-1 and the mock reads it as UTF-8: "café"
    # was journaled as "caf\ufffd" and its count() was 0, a false "sent nothing".
    with start_mock(quiet=True) as mock:
        for bad in ["café", "Ω", "会话", " lead", "trail ", "tab\there", "line\nbreak", "del\x7f", "", " "]:
            with pytest.raises(ValueError, match=r"visible ASCII \(0x21-0x7E\) and spaces, not starting or ending with a space"):
                mock.session(bad)
        with pytest.raises(TypeError):
            mock.session(5)
        s = mock.session("team a/1 (ok)")
        req = urllib.request.Request(mock.url + "/v1/Nowhere", headers=s.headers)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        err.value.close()
        assert err.value.code == 404
        assert [e["session"] for e in mock.requests()] == ["team a/1 (ok)"]
        assert s.count() == 1
        assert len(s.requests()) == 1


def test_the_control_calls_follow_the_admin_prefix_and_fail_loudly_where_there_is_nothing():
    with start_mock(args=["--admin-prefix", "/_ctl/", "--no-journal"]) as mock:
        assert mock.admin_url == mock.url + "/_ctl"
        assert mock.verdict()["tool"] == "mimeo serve"
        with pytest.raises(MimeoAdminError) as refused:
            mock.state()
        assert (refused.value.status, refused.value.kind) == (404, "not-stateful")
        # Every journal call says so with the same kind: the lists as the mock
        # answered them (200, nothing kept), the others with its 409.
        for call, status in [
            (mock.requests, 200),
            (mock.unmatched, 200),
            (mock.session("x").requests, 200),
            (mock.count, 409),
            (mock.find, 409),
            (mock.clear_requests, 409),
        ]:
            with pytest.raises(MimeoAdminError, match=rf"answered {status}: the request journal is disabled \(--no-journal\)") as refused:
                call()
            assert (refused.value.status, refused.value.kind) == (status, "journal-disabled"), call
    with start_mock(stateful=True, args=["--admin-prefix=/ops"]) as mock:
        assert mock.admin_url == mock.url + "/ops"
        assert mock.session("x").state() == {}
        # Under the default prefix there is no control endpoint (the contract's 404).
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(mock.url + "/__admin/state", timeout=5)
        err.value.close()
        assert err.value.code == 404


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


def fork():
    """os.fork(), without Python 3.12's warning about forking a process that has threads."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def wait_for_child(child, seconds=10):
    """A forked child's exit status; a failure (and the child killed) if it is
    still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(child, 9)
    os.waitpid(child, 0)
    raise AssertionError(f"the forked child was still running after {seconds} s (hung in the mock's stop())")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_stop_in_a_forked_child_returns_and_leaves_the_parents_mock_running():
    # The child has none of the parent's reader threads, whose locks on stdout
    # and stderr it inherited held: stop() there must not close those pipes,
    # nor signal or wait for a process that is not its own.
    with start_mock() as mock:
        child = fork()
        if child == 0:
            code = 1
            try:
                code = 0 if mock.stop() is None else 2
            finally:
                os._exit(code)
        assert wait_for_child(child) == 0, "stop() in the child raised (1) or returned a status (2)"
        assert mock.process.poll() is None, "the child stopped the parent's mock"
        assert mock.verdict()["tool"] == "mimeo serve"
        assert mock.count() == 0
    assert mock.process.returncode == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_forked_child_leaving_a_with_start_mock_block_leaves_the_mock_running():
    child = None
    try:
        with start_mock() as mock:
            child = fork()
            if child != 0:
                assert wait_for_child(child) == 0, "leaving the block in the child raised"
                assert mock.process.poll() is None, "the child stopped the parent's mock"
                assert mock.verdict()["tool"] == "mimeo serve"
            # (The child leaves the block here: start_mock's exit calls stop().)
    except BaseException:
        if child == 0:
            os._exit(1)
        raise
    if child == 0:
        os._exit(0)
    assert mock.process.returncode == 0


def test_an_admin_call_that_gets_no_answer_raises_mimeo_admin_error(tmp_path):
    def no_answer(call, method, url, detail):
        with pytest.raises(MimeoAdminError) as failed:
            call()
        assert (failed.value.status, failed.value.kind, failed.value.body) == (0, "unreachable", None)
        assert re.fullmatch(f"mimeo: {method} {re.escape(url)} got no answer: {detail}", str(failed.value)), str(failed.value)
        return failed.value

    # After stop(): the mock is known to be gone, so nothing is sent (its port
    # may be another server's by now).
    with start_mock(quiet=True) as mock:
        s = mock.session("x")
    exited = re.escape("the mock has exited (status 0)")
    no_answer(lambda: mock.requests(limit=1), "GET", mock.admin_url + "/requests?limit=1", exited)
    no_answer(s.count, "POST", mock.admin_url + "/requests/count", exited)
    no_answer(mock.verdict, "GET", mock.admin_url + "/verdict", exited)
    no_answer(s.reset, "POST", mock.admin_url + "/reset?session=x", exited)

    # A refused connection: a stand-in that says it listens on a port where nothing does.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = tmp_path / "mimeo"
    fake.write_text(f'#!/bin/sh\necho "mimeo: listening on http://127.0.0.1:{port}"\nexec sleep 30\n')
    fake.chmod(0o755)
    with start_mock(binary=str(fake)) as refused:
        error = no_answer(refused.requests, "GET", f"http://127.0.0.1:{port}/__admin/requests", r".*Connection refused")
        assert isinstance(error.__cause__, OSError), "the error urllib gave is its cause"
        no_answer(refused.session("y").state, "GET", f"http://127.0.0.1:{port}/__admin/state?session=y", r".*Connection refused")


def test_an_admin_error_survives_pickling():
    # An error raised in a worker process reaches the parent pickled.
    import pickle

    error = MimeoAdminError("GET", "http://127.0.0.1:1/__admin/requests", 409, {"mimeo_error": "journal-disabled", "message": "off"}, "")
    back = pickle.loads(pickle.dumps(error))
    assert isinstance(back, MimeoAdminError)
    assert (str(back), back.status, back.kind, back.body) == (str(error), 409, "journal-disabled", error.body)
