"""docs/rules.md lists every domain-rule setting with its source: a new rule setting without a documented
source fails here (the product's rule: every rule is a setting with the national default, and is sourced)."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from workflow import settings as settings_module

ROOT = Path(__file__).resolve().parents[2]
RULES_DOC = ROOT / "docs" / "rules.md"

# Sections of settings whose every field is a domain rule (deadline, category, limit, calendar...).
# A section with one of these names that appears later (e.g. [calendar]) is covered without editing this test.
RULE_SECTIONS = ("deadlines", "workflow", "calendar", "evaluation", "tallies", "screening")
# Single domain rules that live in otherwise technical sections.
RULE_SETTINGS = ("server.timezone", "dashboard.min_proposals", "opinions.referral_due", "opinions.posts_per_address",
                 "opinions.address_window_seconds", "opinions.posts_per_code_hour", "opinions.ratings_per_address",
                 "projects.vote_rule", "projects.tally_mode", "projects.seats", "projects.progress_every",
                 "projects.posts_per_address")


def _documented_names() -> set[str]:
    text = RULES_DOC.read_text(encoding="utf-8")
    return set(re.findall(r"`([a-z_]+\.[a-z_0-9]+)`", text))


def _rule_settings() -> list[str]:
    names = []
    for section, cls in settings_module._SECTION_TYPES.items():
        if section in RULE_SECTIONS:
            names += [f"{section}.{f.name}" for f in dataclasses.fields(cls)]
    return names + list(RULE_SETTINGS)


def test_every_rule_setting_is_named_in_the_rules_doc():
    documented = _documented_names()
    missing = [name for name in _rule_settings() if name not in documented]
    assert not missing, (
        f"docs/rules.md does not list {missing}: add a row with the rule, its default and its source"
        " (law or regulation and article)")


def test_the_rule_sections_exist_and_have_settings():
    # Guards the test itself: if the sections were renamed, the check above would pass on nothing.
    assert {"deadlines", "workflow"} <= set(settings_module._SECTION_TYPES)
    assert len(_rule_settings()) >= len(dataclasses.fields(settings_module.DeadlineSettings)) + len(
        dataclasses.fields(settings_module.WorkflowSettings))


def test_rules_doc_names_only_settings_that_exist():
    known = set()
    for section, cls in settings_module._SECTION_TYPES.items():
        known |= {f"{section}.{f.name}" for f in dataclasses.fields(cls)}
    sections = set(settings_module._SECTION_TYPES)
    named = {n for n in _documented_names() if n.split(".")[0] in sections}
    stale = sorted(named - known)
    assert not stale, f"docs/rules.md names settings that do not exist (renamed or removed?): {stale}"


def test_rules_doc_gives_a_source_for_every_source_it_cites():
    text = RULES_DOC.read_text(encoding="utf-8")
    cited = set(re.findall(r"\[(S\d+)\]", text))
    listed = set(re.findall(r'<a id="s(\d+)"></a>S\1', text))
    assert cited, "docs/rules.md cites no source"
    unlisted = sorted(c for c in cited if c[1:] not in listed)
    assert not unlisted, f"docs/rules.md cites sources missing from its source list: {unlisted}"
