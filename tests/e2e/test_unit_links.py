"""Unit links /u/<token>: a tampered link answers 403, an expired or revoked one 410; none changes
anything or shows any data, and each tells people (HTML) and programs (JSON) why in Chinese."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.support.api import CHINESE, Api
from workflow.domain.links import make_token

TITLE = "关于修缮城关中学校舍的建议"


@pytest.fixture
async def assigned(api):
    """An assigned proposal: its number, and its lead and co assignments as the API shows them."""
    number = await api.take_to("assigned", title=TITLE)
    assignments = {a["role"]: a for a in (await api.detail(number))["assignments"]}
    return SimpleNamespace(number=number, lead=assignments["lead"], co=assignments["co"])


def _token(link: str) -> str:
    return link.rsplit("/u/", 1)[1]


def _swap_char(text: str, index: int) -> str:
    return text[:index] + ("B" if text[index] != "B" else "C") + text[index + 1:]


async def _assert_refused(api: Api, client, number: str, token: str, status: int, code: str) -> None:
    """Every way of using the link is refused with `status`; nothing changes and nothing leaks."""
    before = await api.detail(number)
    path = f"/u/{token}"

    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status == status
    assert page.content_type == "text/html"
    html = await page.text()
    assert "链接" in html and CHINESE.search(html)
    assert TITLE not in html, "a refused link never shows the proposal"

    for response in (await client.get(path, headers={"Accept": "application/json"}),
                     await client.post(path, json={"action": "sign"})):
        assert response.status == status
        body = await response.json()
        assert body["error"] == code and "链接" in body["message"]
        assert TITLE not in await response.text()

    form = await client.post(path, data={"action": "sign"}, allow_redirects=False)
    assert form.status == status and form.content_type == "text/html"

    after = await api.detail(number)
    assert len(after["events"]) == len(before["events"])
    assert after["assignments"] == before["assignments"]


def _tampered(token: str, how: str, other_id: int) -> str:
    assignment_id, version, expires, signature = token.split(".")
    if how == "signature":
        return ".".join([assignment_id, version, expires, _swap_char(signature, len(signature) // 2)])
    if how == "assignment":  # a well-formed link pointed at another unit's share of the same proposal
        return ".".join([str(other_id), version, expires, signature])
    if how == "expiry":  # stretched by a day
        return ".".join([assignment_id, version, str(int(expires) + 86400), signature])
    if how == "version":
        return ".".join([assignment_id, str(int(version) + 1), expires, signature])
    if how == "truncated":
        return token[:-3]
    if how == "not ASCII":  # a signature of Chinese characters; digits that are not ASCII digits
        return ".".join([assignment_id, version, expires, "签名" * 8])
    if how == "other digits":
        return ".".join(["٣" + assignment_id, version, expires, signature])
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["signature", "assignment", "expiry", "version", "truncated", "not ASCII",
                                 "other digits"])
async def test_tampered_link_answers_403_and_changes_nothing(api, client, assigned, how):
    token = _token(assigned.lead["link"])
    await _assert_refused(api, client, assigned.number, _tampered(token, how, assigned.co["id"]), 403, "link_invalid")
    # The untouched link still works: the refusal was the tampering's doing.
    assert (await api.unit_act(f"/u/{token}", "sign")).status == 200


async def test_garbage_token_answers_403(api, client, assigned):
    await _assert_refused(api, client, assigned.number, "not-a-token", 403, "link_invalid")


async def test_expired_link_answers_410_and_changes_nothing(api, client, assigned, settings):
    lead = assigned.lead

    def token(issued: dt.datetime, ttl_days: int) -> str:
        row = SimpleNamespace(id=lead["id"], link_version=1, link_issued_at=issued, created_at=issued)
        return make_token(settings.server.secret_key, row, ttl_days)

    long_ago = dt.datetime(2020, 1, 1)
    await _assert_refused(api, client, assigned.number, token(long_ago, 30), 410, "link_expired")
    # The same link, still within its time, opens the page: only the expiry refused it.
    fresh = token(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), 1)
    assert (await api.unit_view(f"/u/{fresh}")).status == 200


async def test_revoked_link_answers_410_while_the_new_link_works(api, client, assigned):
    old = _token(assigned.lead["link"])
    answer = await api.post(f"/api/v1/assignments/{assigned.lead['id']}/revoke-link", {})
    assert answer.status == 200, answer.body
    new = _token(answer.body["link"])
    assert new != old

    await _assert_refused(api, client, assigned.number, old, 410, "link_expired")
    view = await api.unit_ok(f"/u/{new}", "sign")
    assert view["assignment"]["state"] == "signed"
    detail = await api.detail(assigned.number)
    assert _token(next(a for a in detail["assignments"] if a["role"] == "lead")["link"]) == new


async def test_revoking_a_link_needs_a_staff_token(api, client, assigned):
    old = _token(assigned.lead["link"])
    answer = await api.post(f"/api/v1/assignments/{assigned.lead['id']}/revoke-link", {}, headers={})
    assert answer.status == 401
    assert (await api.unit_view(f"/u/{old}")).status == 200
    answer = await api.post("/api/v1/assignments/999999/revoke-link", {})
    assert answer.status == 404 and CHINESE.search(answer.message())
