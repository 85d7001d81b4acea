"""Console sign-in that a stranger cannot turn against staff (issue 9, items 1 and 3): after signing in,
the browser goes back only to a path of this site; an account made without a password holds no session."""
from __future__ import annotations

import time

import pytest

from tests.support.console import PASSWORD, login
from web.session import SessionData, _encode, safe_next
from workflow.usecases.accounts import add_user, password_fingerprint

OFF_SITE = ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/ /evil.example",
            "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/\x7f/evil.example",
            "/\u0085/evil.example", "evil.example/console"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_only_a_plain_local_path_is_a_place_to_go_back_to(target):
    assert safe_next(target, "/console") == "/console"


@pytest.mark.parametrize("target", ["/console", "/console/proposals/2025-012?tab=events", "/dashboard?year=2025"])
def test_a_local_path_is_kept(target):
    assert safe_next(target, "/console") == target


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0d%0a/evil.example", "//evil.example"])
async def test_sign_in_never_sends_the_browser_off_site(client, db, target):
    await add_user(db, "wang", "staff", PASSWORD)
    response = await client.get(f"/login?next={target}", allow_redirects=False)
    assert response.status == 200
    assert "evil" not in await response.text()
    answer = await login(client, "wang", next_path=target.replace("%09", "\t").replace("%0d%0a", "\r\n"))
    assert answer.status == 303
    assert answer.headers["Location"] == "/console"


async def test_an_account_without_a_password_holds_no_console_session(client, db, settings):
    user = (await add_user(db, "api-bot", "staff")).user  # API token only
    cookie = _encode(settings.server.secret_key, SessionData("n" * 24, user.id, password_fingerprint(user),
                                                             int(time.time())))
    response = await client.get("/console", cookies={"jianyi_session": cookie}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")
