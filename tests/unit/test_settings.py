"""Settings (DESIGN.md section 4): settings.toml, then the JIANYI_SETTINGS file, then JIANYI_* env vars."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.api import assert_bilingual
from workflow.settings import DEFAULT_FILE, Period, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def override_file(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return {"JIANYI_SETTINGS": str(path)}


def test_defaults_load_from_settings_toml():
    settings = load_settings(environ={})
    assert DEFAULT_FILE == (ROOT / "settings.toml").resolve()  # the checkout's settings.toml links to the packaged file
    assert settings.server.host == "127.0.0.1" and settings.server.port == 8080
    assert settings.database.url == "sqlite+aiosqlite:///data/jianyi.db"
    assert settings.redis.url == ""
    assert settings.wechat.api_base_url == "https://api.weixin.qq.com/cgi-bin/"
    d = settings.deadlines
    assert (d.sign, d.adjustment, d.opinion, d.reply, d.reply_max, d.rehandle, d.evaluation) == (
        Period(3, "working_days"), Period(10, "days"), Period(1, "months"), Period(3, "months"),
        Period(6, "months"), Period(1, "months"), Period(15, "working_days"))
    assert "教育" in settings.workflow.categories


def test_relative_sqlite_path_is_made_absolute_under_the_project_root():
    url = load_settings(environ={}).database_url()
    assert url == f"sqlite+aiosqlite:///{ROOT / 'data' / 'jianyi.db'}"


def test_override_file_overrides_key_by_key(tmp_path):
    env = override_file(tmp_path, '[server]\nport = 9000\n[deadlines]\nreply = "2 months"\n')
    settings = load_settings(environ=env)
    assert settings.server.port == 9000
    assert settings.server.host == "127.0.0.1"  # the rest of [server] still comes from settings.toml
    assert settings.deadlines.reply == Period(2, "months")
    assert settings.deadlines.sign == Period(3, "working_days")


def test_environment_wins_over_both_files(tmp_path):
    env = override_file(tmp_path, '[server]\nport = 9000\n[deadlines]\nreply = "2 months"\n')
    env.update({
        "JIANYI_SERVER_PORT": "9100",
        "JIANYI_DATABASE_URL": "postgresql+asyncpg://u@db.example:5432/jianyi",
        "JIANYI_DEADLINES_REPLY": "60 working days",
        "JIANYI_REDIS_URL": "redis://127.0.0.1:6379/0",
    })
    settings = load_settings(environ=env)
    assert settings.server.port == 9100
    assert settings.database.url == "postgresql+asyncpg://u@db.example:5432/jianyi"
    assert settings.database_url() == settings.database.url
    assert settings.deadlines.reply == Period(60, "working_days")
    assert settings.redis.url == "redis://127.0.0.1:6379/0"


def test_chinese_period_words_are_understood():
    env = {"JIANYI_DEADLINES_SIGN": "5 工作日", "JIANYI_DEADLINES_OPINION": "2个月", "JIANYI_DEADLINES_ADJUSTMENT": "7天"}
    d = load_settings(environ=env).deadlines
    assert (d.sign, d.opinion, d.adjustment) == (Period(5, "working_days"), Period(2, "months"), Period(7, "days"))


def test_secrets_are_hidden_in_reprs():
    env = {"JIANYI_SERVER_SECRET_KEY": "very-secret-value-123", "JIANYI_WECHAT_APP_SECRET": "app-secret-456"}
    settings = load_settings(environ=env)
    assert "very-secret-value-123" not in repr(settings) and "app-secret-456" not in repr(settings)


@pytest.mark.parametrize("env, english", [
    ({"JIANYI_SERVER_PORT": "abc"}, ["server.port", "not a valid"]),
    ({"JIANYI_SERVER_PORT": "70000"}, ["not a valid port"]),
    ({"JIANYI_SERVER_PORT": "-1"}, ["server.port"]),
    ({"JIANYI_DEADLINES_REPLY": "three months"}, ["deadlines.reply", "working days"]),
    ({"JIANYI_DEADLINES_SIGN": "3 weeks"}, ["deadlines.sign"]),
    ({"JIANYI_DATABASE_URL": "mysql://root@localhost/jianyi"}, ["database.url", "postgresql+asyncpg"]),
    ({"JIANYI_DATABASE_URL": "sqlite:///data/x.db"}, ["database.url"]),
    ({"JIANYI_REDIS_URL": "localhost:6379"}, ["redis.url"]),
    ({"JIANYI_SERVER_SECRET_KEY": "short"}, ["secret_key"]),
    ({"JIANYI_SERVER_COLOUR": "blue"}, ["unknown setting server.colour"]),
], ids=["port-abc", "port-range", "port-negative", "deadline-words", "deadline-unit", "db-mysql",
        "db-sync-sqlite", "redis", "secret", "env-unknown-key"])
def test_wrong_environment_values_raise_settings_error_in_chinese_and_english(env, english):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ=env)
    assert_bilingual(str(raised.value), *english)


@pytest.mark.parametrize("text, english", [
    ("[mail]\nhost = 'x'\n", ["unknown section [mail]"]),
    ("[server]\ncolour = 'blue'\n", ["unknown setting server.colour"]),
    ("[server]\nport = 'abc'\n", ["server.port"]),
    ("[server]\nport = true\n", ["server.port"]),
    ("[deadlines]\nreply = 'three months'\n", ["deadlines.reply"]),
    ("server = 1\n", ["must be a table"]),
    ("[server\nport = 1\n", ["not valid TOML"]),
], ids=["section", "key", "port", "port-bool", "deadline", "not-a-table", "toml-syntax"])
def test_wrong_override_file_raises_settings_error_naming_the_file(tmp_path, text, english):
    env = override_file(tmp_path, text)
    with pytest.raises(SettingsError) as raised:
        load_settings(environ=env)
    assert_bilingual(str(raised.value), *english)


def test_a_missing_override_file_is_an_error_not_ignored(tmp_path):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"JIANYI_SETTINGS": str(tmp_path / "nope.toml")})
    assert_bilingual(str(raised.value), "not found", "nope.toml")


def test_unrelated_environment_variables_are_ignored():
    settings = load_settings(environ={"JIANYI_UNRELATED": "x", "PATH": "/bin", "JIANYI": "y"})
    assert settings.server.port == 8080
