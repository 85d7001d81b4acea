"""Odd input from anyone answers 400/404 in Chinese, never 500 (issue 9, item 8): JSON nested absurdly
deep, numbers written with digits that are not ASCII ("²" passes str.isdigit()), ids no database row can
have."""
from __future__ import annotations

import pytest

from tests.support.api import CHINESE

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"action": "sign", "x": ' + "[" * 100 + "]" * 100 + "}"


@pytest.mark.parametrize("path", ["/api/v1/proposals/2025-001/actions", "/api/v1/deputies", "/u/1.1.1.x",
                                  "/f/1.x.1.x"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
async def test_json_nested_a_thousand_deep_is_refused_without_a_crash(client, auth, path, body):
    response = await client.post(path, data=body, headers={**auth, "Content-Type": "application/json",
                                                           "Accept": "application/json"})
    assert response.status in (400, 403, 404), (path, response.status)
    assert CHINESE.search(await response.text())


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
async def test_the_demo_simulator_refuses_json_nested_a_thousand_deep(aiohttp_client, settings, engine, body):
    from run import build_app

    client = await aiohttp_client(build_app(settings, engine, notifications=False, demo=True))
    response = await client.post("/simulator/send", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert CHINESE.search((await response.json())["message"])


@pytest.mark.parametrize("query", ["year=²", "year=٢٠٢٥", "year=99999999999999999999", "unit=JYJ&year=1e3"])
async def test_a_year_that_is_not_plain_digits_is_bad_input(client, auth, query):
    response = await client.get(f"/api/v1/stats?{query}", headers=auth)
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_input"


@pytest.mark.parametrize("query", ["limit=²", "offset=99999999999999999999", "year=²"])
async def test_a_proposal_list_with_odd_numbers_is_bad_input(client, auth, query):
    response = await client.get(f"/api/v1/proposals?{query}", headers=auth)
    assert response.status == 400


@pytest.mark.parametrize("path", ["/api/v1/proposals/d99999999999", "/api/v1/proposals/d2147483648",
                                  "/api/v1/proposals/9999-999999"])
async def test_an_id_no_row_can_have_is_not_found(client, auth, path):
    response = await client.get(path, headers=auth)
    assert response.status == 404


@pytest.mark.parametrize("path", ["/api/v1/assignments/99999999999999999999/revoke-link",
                                  "/api/v1/notifications/99999999999999999999/resend"])
async def test_an_action_on_an_impossible_id_is_not_found(client, auth, path):
    response = await client.post(path, headers=auth)
    assert response.status == 404
    assert CHINESE.search((await response.json())["message"])


@pytest.mark.parametrize("path", ["/console/proposals?page=²", "/console/proposals?year=²&page=99999999999999999999",
                                  "/console/deputies?page=²", "/replies?page=²", "/meetings/99999999999999999999",
                                  "/console/assignments/99999999999999999999/sheet"])
async def test_console_pages_with_odd_numbers_answer_without_a_crash(staff, path):
    response = await staff.get(path, allow_redirects=False)
    assert response.status in (200, 400, 404), (path, response.status)


# ---------------------------------------------------------------- NUL characters (found by schemathesis on PostgreSQL)
@pytest.mark.parametrize("where", ["json", "query", "form"])
async def test_a_nul_character_anywhere_is_refused_in_chinese_and_changes_nothing(client, auth, where):
    if where == "json":
        r = await client.post("/api/v1/deputies", json={"number": "D9\x00", "name": "张\x00三"}, headers=auth)
    elif where == "query":
        r = await client.get("/api/v1/proposals", params={"q": "路\x00"}, headers=auth)
    else:
        r = await client.post("/login", data={"username": "admin\x00", "password": "x"})
    assert r.status == 400 and "空字符" in await r.text()
    listed = await (await client.get("/api/v1/deputies", headers=auth)).json()
    assert all("\x00" not in d["number"] for d in listed.get("items", listed if isinstance(listed, list) else []))
