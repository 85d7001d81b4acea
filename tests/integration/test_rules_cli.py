"""`run.py rules show`: the rules in force, one line each, naming where each value came from (默认, 预设 with its
regulation and article, 设置文件 with its path, 环境变量 with its name); an unknown preset stops it in Chinese."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli.rules import LABELS, rule_settings

ROOT = Path(__file__).resolve().parents[2]


def _rules_show(tmp_path: Path, county: str, **env: str) -> subprocess.CompletedProcess:
    path = tmp_path / "county.toml"
    path.write_text(county, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JIANYI_")}
    clean.update({"JIANYI_SETTINGS": str(path), "JIANYI_SERVER_DATA_DIR": str(tmp_path),
                  "JIANYI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", **env})
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "rules", "show"], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=120)


def _rows(stdout: str) -> dict[str, list[str]]:
    return {cells[0]: cells[1:] for cells in (line.split("\t") for line in stdout.splitlines()) if len(cells) == 4}


def test_rules_show_names_the_default_the_preset_the_file_and_the_environment_of_each_rule(tmp_path):
    result = _rules_show(tmp_path, '[rules]\npreset = "重庆"\n[deadlines]\nsign = "5 working days"\n',
                         JIANYI_DEADLINES_OPINION="2 months")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert set(rule_settings()) <= set(rows)
    assert rows["deadlines.rehandle"] == ["2 个月", LABELS["deadlines.rehandle"],
                                          "预设（重庆：《重庆市实施〈中华人民共和国全国人民代表大会和地方各级人民代表大会代表法〉办法》第十六条）"]
    assert rows["deadlines.evaluation"][0] == "20 个工作日" and rows["deadlines.evaluation"][2].startswith("预设（重庆")
    assert rows["deadlines.sign"] == ["5 个工作日", LABELS["deadlines.sign"], f"设置文件 {tmp_path / 'county.toml'}"]
    assert rows["deadlines.opinion"][2] == "环境变量 JIANYI_DEADLINES_OPINION"
    assert rows["deadlines.adjustment"][2] == "默认（重庆预设：未找到出处）"
    assert rows["deadlines.reminder"][2] == "默认"
    assert rows["workflow.withdraw_needs_co_signer_consent"][0] == "否"
    first = result.stdout.splitlines()[0]
    assert first.startswith("省级预设：重庆（重庆市，来源：设置文件")


def test_every_rule_has_a_chinese_label():
    assert [name for name in rule_settings() if name not in LABELS] == []


def test_rules_show_without_a_preset_says_the_national_defaults_apply(tmp_path):
    result = _rules_show(tmp_path, "")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "省级预设：无（全国默认值）。"
    assert {cells[2] for cells in _rows(result.stdout).values() if cells[2] != "来源"} == {"默认"}


def test_rules_show_with_an_unknown_preset_exits_2_listing_the_known_ones(tmp_path):
    result = _rules_show(tmp_path, '[rules]\npreset = "广东"\n')
    assert result.returncode == 2
    assert "设置错误" in result.stderr and "可用的预设" in result.stderr and "浙江（zhejiang）" in result.stderr
    assert "Traceback" not in result.stderr
