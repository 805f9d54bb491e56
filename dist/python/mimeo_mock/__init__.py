"""Run the mimeo mock from Python tests.

``start_mock(...)`` runs ``mimeo serve`` on a free port, waits for its
readiness line (``mimeo: listening on URL``) and yields a ``Mock`` with its
``url``; leaving the ``with`` block stops it. The pytest fixture ``mimeo_mock``
(``mimeo_mock.pytest_plugin``, registered as a pytest plugin by the wheel)
does the same around one test.

The ``Mock`` also calls the control endpoints: ``requests()``, ``count()``,
``find()``, ``unmatched()``, ``clear_requests()``, ``state()``,
``set_state()``, ``reset()``, ``verdict()``; and ``session(name)`` gives the
headers that put a request in a session and the same calls scoped to it.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sysconfig
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

__all__ = ["Mock", "MimeoAdminError", "MimeoError", "Session", "binary_path", "serve_args", "start_mock"]

READY = re.compile(r"^mimeo: listening on (http://\S+)$")


class MimeoError(RuntimeError):
    """mimeo could not be found, or did not start."""


class MimeoAdminError(MimeoError):
    """An admin call answered with a non-2xx status (or with something that is
    not JSON): ``status``, the server's ``kind`` (its ``mimeo_error``, such as
    ``invalid-pattern``) and ``body`` (its JSON, else its text).

    ``requests()`` and ``unmatched()`` of a mock started with ``--no-journal``
    raise it too, with the mock's 200 and the ``kind`` the other journal calls
    get with its 409: ``journal-disabled``.

    A call that got no answer (the mock has exited, the connection was refused
    or reset, nothing came within 30 s) raises it with ``status`` 0, ``kind``
    ``unreachable`` and ``body`` None; the message names the call, its URL and
    the cause, and the error urllib gave is its ``__cause__``."""

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        body: Any,
        text: str,
        *,
        kind: Optional[str] = None,
        detail: Optional[str] = None,
    ):
        # ``kind`` and ``detail``, when given, stand in for the server's own
        # (an answer that holds nothing to give).
        if detail is None:
            if isinstance(body, dict) and isinstance(body.get("message"), str):
                detail = body["message"]
                if isinstance(body.get("errors"), list):
                    detail += ": " + "; ".join(map(str, body["errors"]))
            else:
                detail = (text[:500] or "(no body)") + (" (not JSON)" if 200 <= status < 300 else "")
        super().__init__(f"mimeo: {method} {url} {f'answered {status}' if status else 'got no answer'}: {detail}")
        self.status = status
        if kind is None and isinstance(body, dict):
            kind = body.get("mimeo_error")
        self.kind: Optional[str] = kind
        self.body = None if status == 0 else body if body is not None else text

    def __reduce__(self):
        # Picklable, so it crosses processes (multiprocessing, pytest-xdist):
        # the default would call __init__ with the message alone.
        return (_admin_error, (str(self), self.status, self.kind, self.body))


def _admin_error(message: str, status: int, kind: Optional[str], body: Any) -> MimeoAdminError:
    """A MimeoAdminError as it was pickled."""
    error = MimeoAdminError.__new__(MimeoAdminError)
    MimeoError.__init__(error, message)
    error.status, error.kind, error.body = status, kind, body
    return error


def binary_path() -> str:
    """The mimeo executable: ``MIMEO_BINARY``, else the one this wheel installed."""
    override = os.environ.get("MIMEO_BINARY")
    if override:
        return override
    exe = "mimeo.exe" if os.name == "nt" else "mimeo"
    # The wheel puts the binary among the scripts of the scheme pip installed
    # into: this interpreter's (a venv, the system), the user scheme
    # (pip install --user), or DIR/bin beside the package (pip install --target DIR).
    places = [sysconfig.get_path("scripts")]
    user_scheme = f"{os.name}_user" if os.name != "posix" else "posix_user"
    with contextlib.suppress(KeyError):
        places.append(sysconfig.get_path("scripts", scheme=user_scheme))
    places.append(str(Path(__file__).resolve().parent.parent / "bin"))
    for place in places:
        candidate = Path(place) / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(exe)
    if found:
        return found
    raise MimeoError(
        "mimeo: no mimeo executable found beside this package nor on PATH; "
        "reinstall mimeo-mock, or set MIMEO_BINARY to a mimeo executable"
    )


def serve_args(
    spec: Optional[str] = None,
    *,
    stateful: bool = False,
    rules: "str | Sequence[str]" = (),
    config: Optional[str] = None,
    seed_state: Optional[str] = None,
    port: int = 0,
    host: Optional[str] = None,
    quiet: bool = False,
    args: Sequence[str] = (),
) -> list:
    """The ``mimeo serve`` arguments for these options (each is one flag)."""
    out = ["serve", "--port", str(port)]
    if host:
        out += ["--host", host]
    if spec:
        out += ["--spec", os.fspath(spec)]
    if stateful:
        out.append("--stateful")
    if config:
        out += ["--config", os.fspath(config)]
    if seed_state:
        out += ["--seed-state", os.fspath(seed_state)]
    # One rule may be given as a string.
    for rule in [rules] if isinstance(rules, str) else rules:
        out += ["--status", rule]
    if quiet:
        out.append("--quiet")
    return out + list(args)


def _admin_prefix(args: Sequence[str]) -> str:
    """``--admin-prefix`` as given in the serve arguments (the last one), else ``/__admin``."""
    prefix = "/__admin"
    args = [str(a) for a in args]
    for i, arg in enumerate(args):
        if arg == "--admin-prefix" and i + 1 < len(args):
            prefix = args[i + 1]
        elif arg.startswith("--admin-prefix="):
            prefix = arg[len("--admin-prefix="):]
    # mimeo drops trailing slashes too.
    return prefix.rstrip("/")


# The mock is this machine's own process: no HTTP(S)_PROXY from the environment
# stands between a test and it.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# How long an admin call waits, in seconds: a wedged mock fails the call
# instead of hanging the test.
_ADMIN_TIMEOUT = 30


def _no_answer(method: str, url: str, detail: str) -> MimeoAdminError:
    return MimeoAdminError(method, url, 0, None, "", kind="unreachable", detail=detail)


def _admin(base: str, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Any = None) -> Any:
    """One call of a control endpoint; its JSON answer, or MimeoAdminError."""
    url = _url(base + path, query)
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        try:
            with _direct.open(req, timeout=_ADMIN_TIMEOUT) as res:
                status, text = res.status, res.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            with e:
                status, text = e.code, e.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        # Refused, reset, timed out: urllib's URLError, or the socket's own error.
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        # (socket.timeout: TimeoutError from Python 3.10 on, not before.)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            detail = f"nothing within {_ADMIN_TIMEOUT} s"
        else:
            detail = str(reason) or type(reason).__name__
        raise _no_answer(method, url, detail) from e
    try:
        answer = json.loads(text)
    except ValueError:
        raise MimeoAdminError(method, url, status, None, text) from None
    if not 200 <= status < 300:
        raise MimeoAdminError(method, url, status, answer, text)
    return answer


def _url(endpoint: str, query: Optional[Mapping[str, Any]]) -> str:
    """An endpoint's URL with the given query parameters (those None left out)."""
    params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
    return endpoint + ("?" + urllib.parse.urlencode(params) if params else "")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # ``since`` as a datetime: epoch milliseconds, which the journal takes
    # (a naive one is local time, as datetime.timestamp() reads it).
    if isinstance(value, datetime.datetime):
        return str(int(value.timestamp() * 1000))
    return str(value)


Since = Union[datetime.datetime, int, str]
"""``since``: a datetime, epoch milliseconds, or RFC 3339 text."""


class _Controls:
    """The journal, state and reset calls, each one request to the endpoint
    README.md describes: for every session (``_session`` None) or one."""

    _admin_url: str
    _session: Optional[str] = None

    def _gone(self) -> Optional[str]:
        """Why the mock cannot answer (it has exited), or None."""
        return None

    def _call(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Any = None) -> Any:
        # Once the mock has exited its calls are not sent: its port may be
        # another server's by now.
        gone = self._gone()
        if gone is not None:
            raise _no_answer(method, _url(self._admin_url + path, query), gone)
        return _admin(self._admin_url, method, path, query, body)

    def _scoped(self) -> Dict[str, str]:
        # Scoped calls name the session as the endpoints take it (``?session=``).
        return {} if self._session is None else {"session": self._session}

    def _own(self, given: Mapping[str, Any]) -> Dict[str, Any]:
        # A scoped call names its own session; another one is a mistake, not a filter.
        other = given.get("session")
        if self._session is not None and other is not None and other != self._session:
            raise ValueError(f"mimeo: session {self._session!r} was given session {other!r}")
        return {**given, **self._scoped()}

    def _entries(self, path: str, query: Mapping[str, Any]) -> List[Dict[str, Any]]:
        answer = self._call("GET", path, query)
        # The journal answers 200 with nothing when it is off (--no-journal): an
        # empty list there would pass any "sent nothing" check, so it is an
        # error, of the kind the other journal calls get (with the mock's 409).
        if answer.get("requestJournalDisabled"):
            raise MimeoAdminError(
                "GET",
                _url(self._admin_url + path, query),
                200,
                answer,
                "",
                kind="journal-disabled",
                detail="the request journal is disabled (--no-journal); nothing was kept",
            )
        return answer["requests"]

    def reset(self) -> None:
        """``POST /__admin/reset``: state, rule sequences, chaos draws and journal
        entries start over (a Mock's: every session's; a Session's: its own)."""
        self._call("POST", "/reset", {"all": True} if self._session is None else self._scoped())

    def state(self) -> Dict[str, Any]:
        """``GET /__admin/state``: a Session's state, or a Mock's default session's."""
        return self._call("GET", "/state", self._scoped())

    def set_state(self, state: Mapping[str, Any]) -> None:
        """``PUT /__admin/state``: replaces the state; MimeoAdminError (400, every
        problem) when the model refuses it."""
        self._call("PUT", "/state", self._scoped(), dict(state))

    def requests(
        self,
        *,
        since: Optional[Since] = None,
        limit: Optional[int] = None,
        session: Optional[str] = None,
        operation: Optional[str] = None,
        unmatched: Optional[bool] = None,
        invalid: Optional[bool] = None,
    ) -> List[Dict[str, Any]]:
        """``GET /__admin/requests``: journal entries, newest first, with its filters
        (``operation``: an operationId or ``METHOD /template``)."""
        filters = dict(since=since, limit=limit, session=session, operation=operation, unmatched=unmatched, invalid=invalid)
        return self._entries("/requests", self._own(filters))

    def unmatched(
        self,
        *,
        since: Optional[Since] = None,
        limit: Optional[int] = None,
        session: Optional[str] = None,
        operation: Optional[str] = None,
        invalid: Optional[bool] = None,
    ) -> List[Dict[str, Any]]:
        """``GET /__admin/requests/unmatched``: requests no operation serves, newest first."""
        filters = dict(since=since, limit=limit, session=session, operation=operation, invalid=invalid)
        return self._entries("/requests/unmatched", self._own(filters))

    def count(self, pattern: Optional[Mapping[str, Any]] = None) -> int:
        """``POST /__admin/requests/count``: how many entries a request pattern
        (WireMock's fields: ``method``, ``urlPath``, ``headers``, ``bodyPatterns``, ...) matches."""
        return self._call("POST", "/requests/count", body=self._own(pattern or {}))["count"]

    def find(self, pattern: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
        """``POST /__admin/requests/find``: the entries a request pattern matches, newest first."""
        return self._call("POST", "/requests/find", body=self._own(pattern or {}))["requests"]

    def clear_requests(self) -> int:
        """``DELETE /__admin/requests``: clears the journal (a Session's: its own
        entries); how many entries went."""
        return self._call("DELETE", "/requests", self._scoped())["removed"]


# A session name travels in the X-Mimeo-Session header: http.client sends a
# header as latin-1 (and refuses anything above U+00FF) while the mock reads
# UTF-8 and trims spaces, so only visible ASCII and inner spaces name the same
# session in the header, the journal and the ``?session=`` query.
_SESSION_NAME = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def _check_session_name(name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"mimeo: a session name is a str, not {type(name).__name__}")
    if not _SESSION_NAME.fullmatch(name):
        raise ValueError(
            "mimeo: a session name is sent in the X-Mimeo-Session header, so it must be visible ASCII "
            f"(0x21-0x7E) and spaces, not starting or ending with a space: {name!r} is not"
        )


class Session(_Controls):
    """One session of a mock (``X-Mimeo-Session``): send ``headers`` with the
    client's requests; the control calls act on this session alone."""

    def __init__(self, admin_url: str, name: str):
        _check_session_name(name)
        self._admin_url = admin_url
        self._session = name
        self.name = name
        self.headers: Dict[str, str] = {"X-Mimeo-Session": name}

    #: The Mock this session is of (None for one made directly).
    _mock: "Optional[Mock]" = None

    def _gone(self) -> Optional[str]:
        return None if self._mock is None else self._mock._gone()

    def __repr__(self) -> str:
        return f"<mimeo session {self.name!r} at {self._admin_url}>"


# Mocks still running when the interpreter exits are killed, so a test run
# that never stopped one (or dropped its Mock) does not leave a server behind.
_running: "set[subprocess.Popen]" = set()


@atexit.register
def _kill_running() -> None:
    for process in list(_running):
        process.kill()
        process.wait()


def _disown_in_child() -> None:
    """In a child made by os.fork() (multiprocessing's fork start method): the
    mocks are the parent's. The child closes its copy of their input pipes, or
    a mock would live as long as the child does after the parent closed its
    side (--stop-on-stdin-close waits for every writer); and it forgets them,
    so its own exit does not try to kill them. (stdout and stderr are left
    alone: the parent's reader threads may have held their locks at the fork.)"""
    for process in list(_running):
        if process.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                process.stdin.close()
    _running.clear()


# Once per module (a second import does not run this again).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_disown_in_child)


def _close(process: subprocess.Popen, readers, owner: int) -> None:
    """Closes the pipes of a mock that has exited, once their readers are done
    (an unclosed pipe is a ResourceWarning, an error under strict settings).

    In a child made by os.fork() (not the ``owner`` process) only the child's
    copy of the input pipe is closed: the reader threads are the parent's and
    did not come along, and the locks of stdout and stderr they held at the
    fork stay held in the child, so closing those would wait forever."""
    if os.getpid() != owner:
        if process.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                process.stdin.close()
        return
    for thread in readers:
        thread.join(timeout=2)
    pipes = [process.stdin]
    if not any(thread.is_alive() for thread in readers):
        pipes += [process.stdout, process.stderr]
    for pipe in pipes:
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.close()


class Mock(_Controls):
    """A running ``mimeo serve``: ``url``, ``pid``, ``stop()``, ``log()``; the
    control calls for every session (``state()``: the default session's),
    ``verdict()``, and ``session(name)`` for one session."""

    def __init__(
        self,
        process: subprocess.Popen,
        url: str,
        stderr: collections.deque,
        readers,
        admin_prefix: str = "/__admin",
        owner: Optional[int] = None,
    ):
        self.process = process
        # The process that started the mock: a child made by os.fork() is not.
        self._owner = os.getpid() if owner is None else owner
        self.url = url
        self.pid = process.pid
        #: The control endpoints' base (``--admin-prefix`` in ``args`` is followed).
        self.admin_url = url + admin_prefix
        self._admin_url = self.admin_url
        self._stderr = stderr
        self._readers = readers

    @classmethod
    def start(
        cls,
        spec: Optional[str] = None,
        *,
        timeout: float = 10.0,
        binary: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        **options,
    ) -> "Mock":
        """Starts ``mimeo serve`` and returns once it listens (``timeout`` seconds at most)."""
        # The mock's input is a pipe this process holds: however this process
        # ends (killed, os._exit), the pipe closes and the mock stops.
        command = [binary or binary_path()] + serve_args(spec, **options)
        if "--stop-on-stdin-close" not in command:
            command.append("--stop-on-stdin-close")
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env) if env is not None else None,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as e:
            raise MimeoError(f"mimeo: cannot run {command[0]}: {e}") from e
        owner = os.getpid()
        _running.add(process)
        stderr: collections.deque = collections.deque(maxlen=40)
        ready: "queue.Queue[Optional[str]]" = queue.Queue()

        # Both pipes are read to their end in threads, so the server never
        # blocks on a full pipe; stdout yields the URL, stderr the recent log.
        def read_stdout() -> None:
            for line in process.stdout:
                match = READY.match(line.rstrip("\n"))
                if match:
                    ready.put(match.group(1))
            ready.put(None)

        def read_stderr() -> None:
            for line in process.stderr:
                stderr.append(line.rstrip("\n"))

        readers = [threading.Thread(target=f, daemon=True) for f in (read_stdout, read_stderr)]
        for thread in readers:
            thread.start()
        try:
            url = ready.get(timeout=timeout)
        except queue.Empty:
            process.kill()
            process.wait()
            _running.discard(process)
            _close(process, readers, owner)
            raise MimeoError(f"mimeo: not listening after {timeout} s\n" + "\n".join(stderr)) from None
        if url is None:
            code = process.wait()
            _running.discard(process)
            _close(process, readers, owner)
            raise MimeoError(f"mimeo serve exited (status {code}) before listening\n" + "\n".join(stderr))
        return cls(process, url, stderr, readers, _admin_prefix(command), owner)

    def stop(self, grace: float = 5.0) -> Optional[int]:
        """Stops the mock (SIGTERM, then SIGKILL after ``grace`` seconds); its exit status.

        In a child made by ``os.fork()`` (multiprocessing's fork start method)
        the mock is the parent's: there stop(), and so the end of a ``with
        start_mock()`` block, leaves it running (no signal, no wait), closes
        only the child's copy of its input pipe, and returns None."""
        _running.discard(self.process)
        if os.getpid() != self._owner:
            _close(self.process, self._readers, self._owner)
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _close(self.process, self._readers, self._owner)
        return self.process.returncode

    def _gone(self) -> Optional[str]:
        # Its status once stop() (or a wait) has seen it exit. Not polled here:
        # a poll would reap a mock that exited by itself, and the fixture would
        # take that for the test having stopped it (and seen its status); in a
        # child made by os.fork() Popen takes the failing wait for an exit.
        code = self.process.returncode
        if code is None:
            return None
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"status {code}"
        return f"the mock has exited ({how})"

    def log(self) -> list:
        """The last lines the mock wrote on stderr (one per request)."""
        return list(self._stderr)

    def verdict(self) -> Dict[str, Any]:
        """``GET /__admin/verdict``: the verdict of the whole run so far (every session)."""
        return self._call("GET", "/verdict")

    def session(self, name: str) -> Session:
        """A session by name: its ``headers``, and the control calls scoped to it.

        The name goes in a header: visible ASCII (0x21-0x7E) and spaces, not
        starting or ending with a space; another raises ValueError (a name that
        is not a str: TypeError)."""
        session = Session(self.admin_url, name)
        session._mock = self
        return session

    def __repr__(self) -> str:
        return f"<mimeo mock {self.url} pid {self.pid}>"


@contextlib.contextmanager
def start_mock(spec: Optional[str] = None, **options) -> Iterator[Mock]:
    """Runs ``mimeo serve`` for the ``with`` block and yields the ``Mock``.

    Options, each a ``mimeo serve`` flag: ``spec``, ``stateful``, ``rules``
    (``--status`` rules), ``config``, ``seed_state``, ``port`` (0: a free one),
    ``host``, ``quiet``, ``args`` (any other flags); and ``timeout`` (seconds to
    wait for readiness), ``binary``, ``env``.
    """
    mock = Mock.start(spec, **options)
    try:
        yield mock
    finally:
        mock.stop()
