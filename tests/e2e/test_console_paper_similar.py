"""查重 on the console's paper entry (代录): staff ask for similar proposals before saving, see up to three of
this year and last (linked, with state, score and a published reply's excerpt) under a warning, the form keeps
what was typed and nothing is written; saving goes on as before, and the saved proposal lists them too."""
from __future__ import annotations

import html

from tests.e2e.test_similar_proposals import DECOYS, OTHERS, SAME
from tests.support.console import post_form

NEW = "/console/proposals/new"


async def _total(api) -> int:
    return (await api.get("/api/v1/proposals")).body["total"]


async def _earlier_with_published_reply(api) -> dict:
    numbers = {title: await api.submit(title=title, content=content)
               for title, content in [a for a, _ in SAME] + DECOYS + OTHERS}
    earlier = numbers[SAME[0][0][0]]
    await api.take_to("replied", earlier)
    reply = (await api.detail(earlier))["replies"][0]
    assert (await api.post(f"/api/v1/replies/{reply['id']}/publish", {})).status == 200
    return {"numbers": numbers, "earlier": earlier, "reply": reply["text"],
            "state_label": (await api.detail(earlier))["state_label"]}


def _draft(**extra) -> dict:
    title, content = SAME[0][1]
    return {"lead_deputy": "D002", "co_signers": "", "title": title, "content": content,
            "confidential": "on", "submit": "on", **extra}


async def test_checking_a_paper_proposal_shows_the_same_matter_with_its_reply_keeps_the_form_and_writes_nothing(
        api, staff):
    found = await _earlier_with_published_reply(api)
    before = await _total(api)
    response = await post_form(staff, NEW, _draft(check="1"))
    page = html.unescape(await response.text())
    assert response.status == 200, page[:500]
    assert await _total(api) == before
    assert "内容相近的建议" in page and "可以继续录入" in page
    assert f'href="/console/proposals/{found["earlier"]}"' in page and SAME[0][0][0] in page
    assert "相似度" in page and found["state_label"] in page
    assert found["reply"] in page  # the published reply, short enough to be shown whole
    assert found["numbers"][DECOYS[0][0]] not in page  # below the warning: not shown
    assert page.count('href="/console/proposals/') - page.count('href="/console/proposals/new') <= 3
    assert f'value="{SAME[0][1][0]}"' in page and SAME[0][1][1] in page  # typed values kept
    assert 'name="confidential" checked' in page and 'name="submit" checked' in page
    assert 'value="D002" selected' in page


async def test_saving_after_the_check_or_without_it_enters_the_proposal_and_its_page_lists_the_similar_one(
        api, staff):
    found = await _earlier_with_published_reply(api)
    before = await _total(api)
    assert (await post_form(staff, NEW, _draft(check="1"))).status == 200
    saved = await post_form(staff, NEW, _draft())
    assert saved.status == 303, await saved.text()
    assert await _total(api) == before + 1
    ref = saved.headers["Location"].split("/")[-1].split("?")[0]
    page = await (await staff.get(f"/console/proposals/{ref}")).text()
    assert "类似建议" in page and found["earlier"] in page


async def test_a_check_with_nothing_similar_or_nothing_typed_says_so_and_a_check_without_the_token_is_refused(
        api, staff):
    await api.submit()
    before = await _total(api)
    nothing = await post_form(staff, NEW, _draft(check="1", title="关于建设县城图书馆的建议",
                                                 content="县城没有像样的公共图书馆，建议新建一座。"))
    assert nothing.status == 200 and "没有内容相近的建议" in await nothing.text()
    empty = await post_form(staff, NEW, _draft(check="1", title="", content=" "))
    assert empty.status == 400 and "请先填写标题和内容" in await empty.text()
    forged = await staff.post(NEW, data=_draft(check="1"), allow_redirects=False)
    assert forged.status == 403
    assert await _total(api) == before
