"""`run.py deputies codes --csv` writes a roster's text so that a spreadsheet shows it as text, never as
a formula (issue 9, item 18)."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from workflow.usecases.rosters import add_deputy

ROOT = Path(__file__).resolve().parents[2]


async def test_a_name_that_looks_like_a_formula_is_written_as_text(db, settings, tmp_path):
    for number, name in (("D001", "=1+2"), ("D002", "@SUM(A1)"), ("D003", "张三"), ("-5", "+李四")):
        await add_deputy(db, {"number": number, "name": name})
    out_file = tmp_path / "codes.csv"
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database.url, "JIANYI_SERVER_DATA_DIR": settings.server.data_dir}
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "deputies", "codes", "--csv", str(out_file)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with out_file.open(encoding="utf-8-sig") as handle:
        rows = {row[0]: row[1] for row in list(csv.reader(handle))[1:]}
    assert rows == {"D001": "'=1+2", "D002": "'@SUM(A1)", "D003": "张三", "'-5": "'+李四"}
