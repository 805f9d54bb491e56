"""Run the mimeo mock from Python tests.

``start_mock(...)`` runs ``mimeo serve`` on a free port, waits for its
readiness line (``mimeo: listening on URL``) and yields a ``Mock`` with its
``url``; leaving the ``with`` block stops it. The pytest fixture ``mimeo_mock``
(``mimeo_mock.pytest_plugin``, registered as a pytest plugin by the wheel)
does the same around one test.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import queue
import re
import shutil
import subprocess
import sysconfig
import threading
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence

__all__ = ["Mock", "MimeoError", "binary_path", "serve_args", "start_mock"]

READY = re.compile(r"^mimeo: listening on (http://\S+)$")


class MimeoError(RuntimeError):
    """mimeo could not be found, or did not start."""


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


def _close(process: subprocess.Popen, readers) -> None:
    """Closes the pipes of a mock that has exited, once their readers are done
    (an unclosed pipe is a ResourceWarning, an error under strict settings)."""
    for thread in readers:
        thread.join(timeout=2)
    pipes = [process.stdin]
    if not any(thread.is_alive() for thread in readers):
        pipes += [process.stdout, process.stderr]
    for pipe in pipes:
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.close()


class Mock:
    """A running ``mimeo serve``: ``url``, ``pid``, ``stop()``, ``log()``."""

    def __init__(self, process: subprocess.Popen, url: str, stderr: collections.deque, readers):
        self.process = process
        self.url = url
        self.pid = process.pid
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
            _close(process, readers)
            raise MimeoError(f"mimeo: not listening after {timeout} s\n" + "\n".join(stderr)) from None
        if url is None:
            code = process.wait()
            _running.discard(process)
            _close(process, readers)
            raise MimeoError(f"mimeo serve exited (status {code}) before listening\n" + "\n".join(stderr))
        return cls(process, url, stderr, readers)

    def stop(self, grace: float = 5.0) -> int:
        """Stops the mock (SIGTERM, then SIGKILL after ``grace`` seconds); its exit status."""
        _running.discard(self.process)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _close(self.process, self._readers)
        return self.process.returncode

    def log(self) -> list:
        """The last lines the mock wrote on stderr (one per request)."""
        return list(self._stderr)

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
