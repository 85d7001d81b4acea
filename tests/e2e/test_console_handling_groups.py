"""并案办理 on the console's proposal page: each member of a group names the others (number linked, title,
lead deputy even where confidential, state) and marks the lead (牵头建议); one taken out shows no group."""
from __future__ import annotations

import html

from tests.e2e.test_handling_groups import _three


async def _section(staff, number: str) -> str:
    """The 并案办理 section of the proposal's console page ("" when there is none)."""
    response = await staff.get(f"/console/proposals/{number}")
    page = html.unescape(await response.text())
    assert response.status == 200, page[:500]
    start = page.find('id="group"')
    return page[start:page.index("</section>", start)] if start >= 0 else ""


async def test_every_member_page_lists_the_others_with_their_deputies_and_marks_the_lead(api, staff):
    lead, second, third = await _three(api)
    await api.ok(lead, "combine", members=[second, third])
    titles = {n: (await api.detail(n))["title"] for n in (lead, second, third)}
    deputies = {lead: "张三丰", second: "李四海", third: "王五岳"}
    for number in (lead, second, third):
        section = await _section(staff, number)
        assert "并案办理" in section, number
        for other in {lead, second, third} - {number}:
            assert f'href="/console/proposals/{other}"' in section and titles[other] in section
            assert deputies[other] in section  # staff see the confidential member's deputy (D003)
        assert f'href="/console/proposals/{number}"' not in section
        assert "已立案" in section
    assert "本件是" in await _section(staff, lead) and "牵头建议" in await _section(staff, lead)
    for member in (second, third):
        section = await _section(staff, member)
        assert "成员建议" in section
        marked = section[section.index(f'href="/console/proposals/{lead}"'):]
        assert marked.index("牵头建议") < marked.index("</p>")  # the lead's line carries the mark


async def test_after_uncombine_the_one_taken_out_shows_no_group_and_the_others_no_longer_list_it(api, staff):
    lead, second, third = await _three(api)
    await api.ok(lead, "combine", members=[second, third])
    await api.ok(lead, "uncombine", member=third)
    assert await _section(staff, third) == ""
    for number in (lead, second):
        section = await _section(staff, number)
        assert section and third not in section
    assert await _section(staff, await api.take_to("accepted")) == ""
