"""The county's own words (settings [names]): the committee's name, its office (代表工委 / 选联工委) and the
word for co-units (协办 / 会办) reach pages, bot answers and messages."""
from __future__ import annotations

from dataclasses import replace

import pytest

from notify.texts import render
from workflow.domain import words
from workflow.domain.definition import ROLES
from workflow.settings import NameSettings


@pytest.fixture
async def renamed(aiohttp_client, settings, engine):
    from run import build_app

    named = replace(settings, names=NameSettings(committee="衡东县人大常委会", staff_body="选联工委", co_unit="会办"))
    client = await aiohttp_client(build_app(named, engine))
    yield client
    words.configure(NameSettings())  # the next test reads the shipped words again


async def test_pages_and_messages_use_the_countys_own_words(renamed):
    login = await (await renamed.get("/login")).text()
    assert "衡东县人大常委会代表建议办理系统" in login
    assert ROLES["co"] == "会办"
    refer = render("proposal_refer", {"number": "2026-001", "title": "标题", "facts": {"reason": "r", "disposition": "d"}})
    assert "如有疑问请联系选联工委。" in refer.text
    from bot import texts

    assert "绑定码由选联工委提供" in texts.please_bind()


def test_the_shipped_words_are_the_national_usual_ones():
    words.configure(NameSettings())
    assert (words.staff_body(), words.co_unit(), ROLES["co"]) == ("代表工委", "协办", "协办")
