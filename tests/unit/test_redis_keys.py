"""Every Redis key is this deployment's own (issue 9, item 7): named in one place, under one prefix."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from notify.keys import RedisKeys
from workflow.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _all_keys(keys: RedisKeys) -> list[str]:
    return [keys.stream, keys.dead, keys.delayed, keys.relay_lease, keys.sent(1, "o-1"), keys.lock(1),
            keys.token("wx1"), keys.token_lock("wx1")]


def test_the_default_prefix_comes_from_the_database_and_every_key_carries_it():
    keys = RedisKeys.for_deployment("", "0123abcd0123abcd")
    assert keys.prefix == "jianyi:0123abcd0123abcd:"
    assert all(key.startswith(keys.prefix) for key in _all_keys(keys))
    other = RedisKeys.for_deployment("", "ffffeeeeddddcccc")
    assert not set(_all_keys(keys)) & set(_all_keys(other))  # two databases share no key


def test_a_configured_prefix_wins_and_ends_in_a_colon():
    assert RedisKeys.for_deployment("jianyi:hengyang", "0123abcd0123abcd").stream == "jianyi:hengyang:notify"
    assert RedisKeys.for_deployment("county-7:", "x").stream == "county-7:notify"


def test_the_access_token_is_cached_per_wechat_app():
    keys = RedisKeys.for_deployment("shared", "x")
    assert keys.token("wxAAAA") != keys.token("wxBBBB") and keys.token_lock("wxAAAA") != keys.token_lock("wxBBBB")


def test_redis_prefix_is_a_setting_with_an_environment_override():
    assert load_settings(environ={}).redis.prefix == ""
    assert load_settings(environ={"JIANYI_REDIS_PREFIX": "jianyi:hengyang:"}).redis.prefix == "jianyi:hengyang:"


@pytest.mark.parametrize("value", ["has space", "键", "x" * 65, "a*b"])
def test_a_wrong_redis_prefix_is_refused_in_chinese_and_english(value):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"JIANYI_REDIS_PREFIX": value})
    assert "redis.prefix" in str(raised.value) and "只能" in str(raised.value)


def _key_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("jianyi:")]


def test_no_redis_key_is_named_outside_notify_keys():
    """A fixed name anywhere else (a dashboard, a benchmark, a test helper) would be shared by every
    deployment on the same Redis again."""
    found = []
    for folder in ("bot", "notify", "storage", "web", "workflow", "bench", "tests/support"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() != "notify/keys.py":
                found += _key_literals(path)
    found += _key_literals(ROOT / "run.py")
    assert found == []
