"""``python -m openline ...`` processes started from a warm interpreter: a fork server.

The tests start thousands of ``openline`` processes (``openline serve`` nodes, and the commands
an operator types). Each fresh interpreter spent about 1.2 s of processor importing Openline's
web stack, database layer and geometry before doing anything, which on CI's two cores was
most of the suite's time. Here one process per test worker (the launcher) imports all that
once; each ``openline`` process is then a ``fork`` of it that runs ``python -m openline ARGS``
exactly as the interpreter would (``runpy``, at the top level, so that its exit, its uncaught
exceptions, its threads and its ``atexit`` work are the interpreter's own), with the arguments,
environment, working directory and standard streams the test gave it. The process is real:
its own pid, signals, sockets, files, database connections; only the interpreter's start-up
is shared. ``TEST_PROCESS_START=exec`` in the environment makes every process a fresh
interpreter again (the launcher is then never started).

The protocol, over a Unix socket, one connection per process: the test sends one JSON line
(argv, env, cwd) with the process's stdin, stdout and stderr as file descriptors
(``SCM_RIGHTS``); the launcher answers the child's pid, then, when it has ended, its exit code
as ``subprocess`` gives it (negative: the signal that ended it).
"""

from __future__ import annotations

import array
import atexit
import contextlib
import gc
import json
import os
import random
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol

# What ``openline serve`` and the commands import: loaded once, in the launcher.
WARM_MODULES = (
    "openline.cli.main",
    "openline.api.app",
    "openline.api.server",
    "openline.node.assembly",
    "openline.services.setup",
    "openline.store.database",
)
_REQUEST_LIMIT = 1 << 20
_START_TIMEOUT_S = 120.0
_ROOT = Path(__file__).resolve().parents[2]


class Process(Protocol):
    """What the tests use of an ``openline`` process: ``subprocess.Popen``'s, or a
    ``LaunchedProcess``'s."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, sig: int) -> None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...


class LaunchedProcess:
    """A process the launcher forked, used as a ``subprocess.Popen`` is: ``pid``, ``poll``,
    ``wait``, ``send_signal``, ``terminate``, ``kill``, ``returncode``; from several threads
    at once too (a test's killer thread and its main thread), as ``Popen``: one reads the
    launcher's answer at a time, and ``poll`` never waits for another's read."""

    def __init__(self, connection: socket.socket, pid: int) -> None:
        self._connection = connection
        self._answer = b""
        self._reading = threading.Lock()
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._reading.acquire(blocking=False):
            try:
                if self.returncode is None:
                    self._read(blocking=False)
            finally:
                self._reading.release()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(["openline"], timeout or 0.0)
            if not self._reading.acquire(timeout=-1 if left is None else left):
                continue
            try:
                if self.returncode is None:
                    self._connection.settimeout(left)
                    with contextlib.suppress(TimeoutError):
                        self._read(blocking=True)
            finally:
                self._reading.release()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _read(self, *, blocking: bool) -> None:
        try:
            chunk = (
                self._connection.recv(64)
                if blocking
                else self._connection.recv(64, socket.MSG_DONTWAIT)
            )
        except BlockingIOError:
            return
        if not chunk:
            raise RuntimeError(f"the test launcher lost process {self.pid}: it stopped")
        self._answer += chunk
        if self._answer.endswith(b"\n"):
            self.returncode = int(self._answer)
            self._connection.close()


class Launcher:
    """The launcher of this test process: started at its first use, stopped at exit."""

    _started: Launcher | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._work = Path(tempfile.mkdtemp(prefix="openline-launcher-"))
        self.address = str(self._work / "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.launcher", self.address],
            cwd=_ROOT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not os.path.exists(self.address):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test launcher did not start")
            time.sleep(0.02)

    @classmethod
    def running(cls) -> Launcher:
        with cls._lock:
            if cls._started is None or cls._started.process.poll() is not None:
                cls._started = Launcher()
                atexit.register(cls._started.stop)
            return cls._started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        with contextlib.suppress(OSError):
            os.unlink(self.address)
            os.rmdir(self._work)

    def start(
        self,
        args: list[str],
        *,
        env: dict[str, str],
        cwd: str | None = None,
        stdin: int,
        stdout: int,
        stderr: int,
    ) -> LaunchedProcess:
        """``python -m openline ARGS`` with ``env``, in ``cwd``, on these descriptors."""
        request = {"args": args, "env": env, "cwd": cwd or os.getcwd()}
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(self.address)
        fds = array.array("i", [stdin, stdout, stderr])
        line = json.dumps(request).encode() + b"\n"
        connection.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = connection.recv(1)
            if not chunk:
                raise RuntimeError("the test launcher could not start the process")
            answer += chunk
        return LaunchedProcess(connection, int(answer))


def fork_enabled() -> bool:
    return os.environ.get("TEST_PROCESS_START", "fork") != "exec"


def popen_openline(
    args: list[str], *, env: dict[str, str], stdout: IO[Any] | int, stderr: IO[Any] | int
) -> Process:
    """``python -m openline ARGS``, as ``subprocess.Popen`` would start it (stdin: none)."""
    if not fork_enabled():
        command = [sys.executable, "-m", "openline", *args]
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env
        )
    with open(os.devnull, "rb") as nothing:
        return Launcher.running().start(
            args,
            env=env,
            stdin=nothing.fileno(),
            stdout=_fd(stdout),
            stderr=_fd(stderr),
        )


def _fd(stream: IO[Any] | int) -> int:
    return stream if isinstance(stream, int) else stream.fileno()


def run_openline_captured(
    args: list[str], *, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """``python -m openline ARGS`` run to its end, its output captured, as ``subprocess.run``
    with ``capture_output=True, text=True`` gives it (killed and ``TimeoutExpired`` raised
    after ``timeout``)."""
    command = [sys.executable, "-m", "openline", *args]
    if not fork_enabled():
        return subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        process = popen_openline(args, env=env, stdout=out_write, stderr=err_write)
    finally:
        os.close(out_write)
        os.close(err_write)
    outputs = _read_both(out_read, err_read, process, timeout)
    return subprocess.CompletedProcess(command, process.wait(), *outputs)


def _read_both(
    out_read: int, err_read: int, process: LaunchedProcess, timeout: float
) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    chunks: dict[int, list[bytes]] = {out_read: [], err_read: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    process.kill()
                    process.wait()
                    raise subprocess.TimeoutExpired(["openline"], timeout)
                for key, _events in selector.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
        finally:
            os.close(out_read)
            os.close(err_read)
    out, err = (b"".join(chunks[fd]).decode("utf-8", "replace") for fd in (out_read, err_read))
    return out.replace("\r\n", "\n"), err.replace("\r\n", "\n")


# The launcher itself (``python -m tests.support.launcher SOCKET``).


def _serve(address: str) -> tuple[dict[str, Any], list[int]]:
    """Fork a child for each request until told to stop; returns only in a child, with its
    request and its three descriptors."""
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + ".new")
    listener.listen(64)
    os.rename(address + ".new", address)  # the test waits for this name
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    while not stopping and os.getppid() == parent:
        for key, _events in selector.select(timeout=1.0):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                request, fds = _receive(connection)
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    for _pid, other in children.values():
                        other.close()
                    connection.close()
                    return request, fds
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                selector.register(pidfd, selectors.EVENT_READ)
                children[pidfd] = (pid, connection)
                connection.sendall(f"{pid}\n".encode())
            else:
                pidfd = int(key.fd)
                pid, connection = children.pop(pidfd)
                selector.unregister(pidfd)
                os.close(pidfd)
                _pid, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):
                    connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                connection.close()
    sys.exit(0)


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds = b"", array.array("i")
    while not data.endswith(b"\n"):
        chunk, ancillary, _flags, _addr = connection.recvmsg(
            _REQUEST_LIMIT, socket.CMSG_LEN(3 * fds.itemsize)
        )
        if not chunk:
            raise RuntimeError("a request to the launcher ended early")
        data += chunk
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return json.loads(data), list(fds)


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """In the child: take the request's streams, directory and environment, as a process
    ``subprocess`` started would have them, then run ``python -m openline ARGS``."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(3, 65536)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for sig in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    random.seed()  # the launcher's draws are not every child's
    sys.argv = ["openline", *request["args"]]


def _run_openline() -> NoReturn:
    """``python -m openline``, ended as the interpreter ends a program: its exit status, the
    traceback of what it did not catch (status 1; Ctrl-C: killed by SIGINT), its non-daemon
    threads waited for, its ``atexit`` functions run, its streams flushed. Only the teardown
    of the modules is skipped: in a fork it would copy every page the launcher shares with it
    (seconds on a busy machine)."""
    status, interrupted = 0, False
    try:
        runpy.run_module("openline", run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        status, interrupted = 1, True
    except BaseException:
        traceback.print_exc()
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]  # what the interpreter does at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(status)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` gives: 0 for None, the number, else 1 with ``code``
    written to stderr."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    import importlib

    for module in WARM_MODULES:
        importlib.import_module(module)
    gc.freeze()  # what the launcher imported is never collected: no child touches it for that
    child_request, child_fds = _serve(sys.argv[1])
    _become(child_request, child_fds)
    del child_request, child_fds
    _run_openline()
