"""`python run.py serve` as an operator meets it: a clear answer when the port is taken."""
import os
import socket
import subprocess
import sys

from tests.conftest import ROOT


def test_serve_on_a_taken_port_says_so_in_chinese_and_exits_1(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, JIANYI_DATABASE_URL=settings.database_url(), JIANYI_SERVER_DATA_DIR=settings.server.data_dir)
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "serve", "--role", "web", "--port", str(port)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "端口可能已被占用" in done.stderr and "Traceback" not in done.stderr
    assert f"http://127.0.0.1:{port}" in done.stdout  # links point where the server was asked to listen
