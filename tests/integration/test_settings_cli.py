"""`run.py db upgrade` with bad and good settings: a clear bilingual refusal before any database is touched,
and a database when the settings are right."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.api import assert_bilingual

ROOT = Path(__file__).resolve().parents[2]


def _run_cli(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    # Should the bad value be accepted after all, the command must not touch the real data/ database.
    clean["JIANYI_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    clean["JIANYI_SERVER_DATA_DIR"] = str(tmp_path)  # and its audit key file not under the real data/
    clean.update(env)
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "db", "upgrade"], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env, english", [
    ({"JIANYI_SERVER_PORT": "abc"}, "server.port"),
    ({"JIANYI_DEADLINES_REPLY": "three months"}, "deadlines.reply"),
    ({"JIANYI_DATABASE_URL": "mysql://root@localhost/jianyi"}, "database.url"),
], ids=["port", "deadline", "database"])
def test_db_upgrade_with_a_bad_setting_exits_2_with_the_message(tmp_path, env, english):
    result = _run_cli(tmp_path, **env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "设置错误" in result.stderr
    assert_bilingual(result.stderr, english)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.db").exists()


def test_db_upgrade_with_good_settings_creates_the_database(tmp_path):
    result = _run_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli.db").exists()
