"""`run.py wechat menu` pushes the custom menu through the WeChat API at wechat.api_base_url (a local
fake here), refreshing a refused token once and riding out "system busy" and HTTP 500s."""
from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.menu import MenuError, push_menu

ROOT = Path(__file__).resolve().parents[2]
BUTTONS = [{"type": "click", "name": "提建议", "key": "PROPOSE"}, {"type": "click", "name": "我的建议", "key": "MY_PROPOSALS"},
           {"type": "click", "name": "帮助", "key": "HELP"}]


def _wechat(settings, fake):
    return replace(settings.wechat, api_base_url=fake.base_url, app_id=fake.app_id, app_secret=fake.app_secret)


async def test_menu_is_pushed_with_its_three_buttons(settings, fake_wechat):
    answer = await push_menu(_wechat(settings, fake_wechat))
    assert answer["errcode"] == 0
    [call] = fake_wechat.sent("menu/create")
    assert call.body == {"button": BUTTONS}
    assert [c.path for c in fake_wechat.calls] == ["stable_token", "menu/create"]


async def test_a_refused_token_is_refreshed_once(settings, fake_wechat):
    fake_wechat.fail("menu/create", errcode=42001)
    await push_menu(_wechat(settings, fake_wechat))
    tokens = [c for c in fake_wechat.calls if c.path == "stable_token"]
    assert [t.body["force_refresh"] for t in tokens] == [False, True]
    assert len(fake_wechat.sent("menu/create")) == 1


async def test_system_busy_and_server_errors_are_retried(settings, fake_wechat):
    fake_wechat.fail("menu/create", errcode=-1)
    fake_wechat.fail("menu/create", status=500)
    await push_menu(_wechat(settings, fake_wechat), backoff=0.01)
    assert [c.answer.get("errcode") for c in fake_wechat.calls if c.path == "menu/create"] == [-1, -500, 0]


async def test_a_rate_limit_is_reported_not_hidden(settings, fake_wechat):
    fake_wechat.fail("menu/create", errcode=45009)
    with pytest.raises(MenuError, match="45009"):
        await push_menu(_wechat(settings, fake_wechat), backoff=0.01)


async def test_wrong_app_credentials_are_reported(settings, fake_wechat):
    wechat = replace(_wechat(settings, fake_wechat), app_secret="wrong")
    with pytest.raises(MenuError, match="40013"):
        await push_menu(wechat, backoff=0.01)
    assert fake_wechat.sent("menu/create") == []


async def test_wechat_menu_command_pushes_through_the_configured_api(settings, fake_wechat):
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database.url, "JIANYI_WECHAT_API_BASE_URL": fake_wechat.base_url,
           "JIANYI_WECHAT_APP_ID": fake_wechat.app_id, "JIANYI_WECHAT_APP_SECRET": fake_wechat.app_secret}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run.py"), "wechat", "menu", env=env, cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert "菜单已推送" in stdout.decode()
    assert fake_wechat.sent("menu/create")[0].body == {"button": BUTTONS}
