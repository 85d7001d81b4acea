"""`run.py serve` on an address others can reach refuses the shipped secrets, naming each setting in Chinese
and English, and starts once they are replaced; `run.py secret` prints one (issue 9, item 1)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    env["JIANYI_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    env["JIANYI_SERVER_DATA_DIR"] = str(tmp_path)
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _secret() -> str:
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "secret"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_serve_on_every_address_with_the_shipped_secrets_exits_2_naming_both(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "serve", "--host", "0.0.0.0", "--port",
                           str(_free_port())], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "server.secret_key" in done.stderr and "wechat.token" in done.stderr
    assert "python run.py secret" in done.stderr and "设置错误" in done.stderr
    assert not (tmp_path / "serve.db").exists(), "refused before touching the database"


def test_a_worker_with_an_https_public_url_and_the_shipped_secrets_is_refused(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "serve", "--role", "worker"], cwd=tmp_path,
                          env=_env(tmp_path, JIANYI_SERVER_PUBLIC_URL="https://jianyi.example.gov.cn"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "server.secret_key" in done.stderr


def test_serve_on_every_address_starts_with_generated_secrets(tmp_path):
    port = _free_port()
    env = _env(tmp_path, JIANYI_SERVER_SECRET_KEY=_secret(), JIANYI_WECHAT_TOKEN=_secret())
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--role", "web", "--host",
                                   "0.0.0.0", "--port", str(port)], cwd=tmp_path, env=env, stdout=out, stderr=out)
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    answer = response.status
                    break
            except OSError:
                time.sleep(0.2)
        assert answer == 200, log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
