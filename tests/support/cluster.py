"""`run.py serve` processes as a province runs them behind a load balancer: several `--role web` and one
`--role worker` on one database and one Redis, each started as its own operating-system process.

    web = ServeProcess("web-a", "web", env, folder, port=free_port())
    worker = ServeProcess("worker", "worker", env, folder)
    start_all([web, worker])             # started together, then waited for (/healthz, the worker's line)
    web.url                              # http://127.0.0.1:<port>
    codes = stop_all([web, worker])      # SIGTERM to all at once: {name: exit code}

A process that exits during start-up fails the wait with the tail of its log; `stop_all` kills what does
not stop in time (its code is then reported as -9), so a failing test never leaves a server behind.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from tests.conftest import ROOT

WORKER_STARTED = "通知进程已启动"  # cli/serve.py run_worker prints it once the notifier runs
START_TIMEOUT = 60.0


class ServeProcess:
    """One `run.py serve --role <role>` child with its own log file."""

    def __init__(self, name: str, role: str, env: dict[str, str], folder: Path, port: Optional[int] = None):
        self.name, self.role, self.env, self.port = name, role, env, port
        self.log_path = folder / f"{name}.log"
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServeProcess":
        command = [sys.executable, str(ROOT / "run.py"), "serve", "--role", self.role]
        if self.port is not None:
            command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def ready(self) -> bool:
        """Whether it serves: /healthz answers 200 (web), or the worker said it started."""
        if self.port is None:
            return WORKER_STARTED in self.log(tail=10**6)
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, deadline: float) -> None:
        while not self.ready():
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise AssertionError(f"{self.name} exited during start-up (code {code}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} not ready in {START_TIMEOUT:.0f} s:\n{self.log()}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.running:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        """The exit code, killing the process (code -9) if it has not exited within `timeout`."""
        if self.process is None:
            return 0
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return -9


def start_all(processes: list[ServeProcess]) -> None:
    """Start every process at once (as systemd starts its units), then wait until each serves."""
    for process in processes:
        process.start()
    deadline = time.monotonic() + START_TIMEOUT
    try:
        for process in processes:
            process.wait_ready(deadline)
    except BaseException:
        stop_all(processes, timeout=5)
        raise


def stop_all(processes: list[ServeProcess], timeout: float = 30.0) -> dict[str, int]:
    """SIGTERM to every process still running at the same moment; their exit codes by name."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + timeout
    return {p.name: p.wait(max(0.1, deadline - time.monotonic())) for p in processes}


def cluster_env(base: dict[str, str], **settings: str) -> dict[str, str]:
    """The environment of a child: this one's, without the JIANYI_* settings of the test run except the
    ones given (JIANYI_<SECTION>_<KEY>=value), so nothing of the caller's configuration leaks in."""
    env = {k: v for k, v in base.items() if not k.startswith("JIANYI_")}
    env.update({f"JIANYI_{name.upper()}": str(value) for name, value in settings.items()})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
