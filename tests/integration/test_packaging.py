"""`pip install .` installs the product: a wheel with every template, static file, migration, the shipped
settings and calendars, and a `jianyi` command that runs from the installed copy, outside any checkout,
keeping its data under the working directory (systemd's WorkingDirectory) or $JIANYI_HOME."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("bot", "cli", "notify", "storage", "web", "workflow")


def _run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_wheel_holds_every_file_of_the_code_and_jianyi_runs_from_the_installed_copy(tmp_path):
    wheels, site, home = tmp_path / "wheels", tmp_path / "site", tmp_path / "home"
    home.mkdir()
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                  str(ROOT)], tmp_path, dict(os.environ))
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("jianyi-*.whl"))
    inside = set(zipfile.ZipFile(wheel).namelist())
    tracked = _run(["git", "ls-files", *PACKAGES], ROOT, dict(os.environ)).stdout.split()
    assert tracked and not [f for f in tracked if f not in inside], "files of the code missing from the wheel"
    assert not [f for f in inside if f.startswith(("tests/", "bench/", "docs/"))]
    installed = _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                     tmp_path, dict(os.environ))
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    env["PYTHONPATH"] = str(site)
    where = _run([sys.executable, "-c", "import cli.main; print(cli.main.__file__)"], home, env)
    assert where.stdout.strip().startswith(str(site)), where
    jianyi = site / "bin" / "jianyi"
    upgraded = _run([str(jianyi), "db", "upgrade"], home, env)
    assert upgraded.returncode == 0 and "数据库已是最新" in upgraded.stdout, upgraded.stderr[-2000:]
    assert (home / "data" / "jianyi.db").is_file()  # under the working directory, not inside site-packages
    elsewhere = tmp_path / "elsewhere"
    shown = _run([str(jianyi), "rules", "show"], tmp_path, {**env, "JIANYI_HOME": str(elsewhere)})
    assert shown.returncode == 0 and "deadlines.sign" in shown.stdout, shown.stderr[-2000:]
