"""The documentation that is generated from code must match the code."""
from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

from workflow.domain.definition import ACTIONS
from workflow.domain.diagram import markdown

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_workflow_doc_is_what_the_diagram_command_prints():
    written = (DOCS / "workflow.md").read_text(encoding="utf-8")
    expected = markdown()
    if written.rstrip("\n") != expected.rstrip("\n"):
        diff = "\n".join(difflib.unified_diff(
            expected.splitlines(), written.splitlines(), "generated", "docs/workflow.md", lineterm="", n=1))
        raise AssertionError(
            "docs/workflow.md is stale: run `python run.py workflow diagram > docs/workflow.md`\n" + diff)


def test_workflow_diagram_command_prints_the_same_doc_under_any_hash_seed():
    written = (DOCS / "workflow.md").read_text(encoding="utf-8")
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "run.py", "workflow", "diagram"], cwd=ROOT, env=env,
                             capture_output=True, text=True, encoding="utf-8", check=True).stdout
        assert out == written, f"`run.py workflow diagram` with PYTHONHASHSEED={seed} differs from docs/workflow.md"


def test_api_doc_names_only_actions_that_exist():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    named = set(re.findall(r'"action":\s*"(\w+)"', text))
    assert named, "docs/api.md shows no action example"
    assert named <= set(ACTIONS), f"docs/api.md names unknown actions: {sorted(named - set(ACTIONS))}"


def test_api_doc_lists_every_action_with_its_parameters():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", text, re.MULTILINE)}
    for action in ACTIONS.values():
        assert action.id in rows, f"docs/api.md has no row for action {action.id}"
        for param in action.params:
            assert f"`{param.name}" in rows[action.id], f"docs/api.md: {action.id} does not list {param.name}"


async def test_unit_link_answers_a_json_post_in_json_as_the_api_doc_shows(client, auth):
    for path, body in [("/api/v1/deputies", {"number": "D001", "name": "张三"}),
                       ("/api/v1/units", {"code": "JYJ", "name": "县教育局"})]:
        assert (await client.post(path, json=body, headers=auth)).status == 201
    r = await client.post("/api/v1/proposals", json={"lead_deputy": "D001", "title": "校舍", "content": "修缮"},
                          headers=auth)
    actions = f"/api/v1/proposals/{(await r.json())['number']}/actions"
    await client.post(actions, json={"action": "accept", "category": "教育"}, headers=auth)
    r = await client.post(actions, json={"action": "assign", "lead_units": ["JYJ"]}, headers=auth)
    link = (await r.json())["assignments"][0]["link"].replace("http://testserver", "")
    r = await client.post(link, json={"action": "sign"})  # no Accept header, as in the curl example
    assert r.status == 200 and r.content_type == "application/json"
    body = await r.json()
    assert body["assignment"]["state"] == "signed"
    assert "log_contact" in body["proposal"]["allowed_actions"]
