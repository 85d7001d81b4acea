"""The production install (docs/deployment.md) takes requirements.lock with hashes: it pins every
dependency pyproject.toml pins, at the same version, each with its hashes."""
from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_the_lock_file_pins_every_dependency_of_pyproject_at_its_version_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    locked = dict(re.findall(r"^([a-z0-9_.-]+)==([^ \\\n]+)", lock, re.M))
    for requirement in project["dependencies"]:
        name, version = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", requirement).groups()
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert locked.get(key) == version, f"{name}=={version} not locked (requirements.lock has {locked.get(key)})"
    entries = re.split(r"\n(?=[a-z0-9])", lock.strip())
    assert entries and all("--hash=sha256:" in e for e in entries if not e.startswith("#"))
