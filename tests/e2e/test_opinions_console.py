"""The console's 群众意见 pages through HTTP: staff enter an opinion received at a station and see it listed,
refer one to a unit (whose link opens), answer one, turn two into a proposal (the draft's page lists
them), close one as out of remit; a viewer cannot act, a bad receipt is a Chinese 404 and a refused
action a Chinese 409 with nothing changed."""
from __future__ import annotations

import re

import pytest

from storage.models import Station, StationDeputy
from storage.uow import UnitOfWork
from tests.support.console import post_form, sign_out_locally, signed_in
from workflow.usecases.accounts import add_user, set_password

TEXT = "城关镇东门口的红绿灯时间太短，老人和孩子过马路来不及，希望有关部门延长绿灯时间并增设安全岛。"
NAME, PHONE = "王秀英", "13912345678"


@pytest.fixture
async def station(api, db) -> int:
    """城关镇代表联络站 (deputy D001 receives there) with one 联系点; returns the station's id."""
    from storage import repositories as repo

    async with UnitOfWork(db) as session:
        deputy = await repo.deputy_by_number(session, "D001")
        top = Station(code="STNCODE1", name="城关镇代表联络站", kind="station", township="城关镇")
        session.add(top)
        await session.flush()
        session.add(Station(code="PNTCODE1", name="城关商会联系点", kind="business", parent_id=top.id))
        session.add(StationDeputy(station_id=top.id, deputy_id=deputy.id))
        return top.id


async def _enter(staff, **fields) -> str:
    data = {"text": TEXT, "channel": "visit", "citizen_name": NAME, "citizen_phone": PHONE,
            "hide_from_units_shown": "1", "hide_from_units": "on", **fields}
    response = await post_form(staff, "/console/opinions", {k: v for k, v in data.items() if v is not None})
    assert response.status == 303, await response.text()
    match = re.fullmatch(r"/console/opinions/([0-9A-Z]+)\?done=receive", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


async def _act(staff, receipt: str, action: str, **params):
    return await post_form(staff, f"/console/opinions/{receipt}/act", {"action": action, **params},
                           token_from="/console/opinions")


async def _page(staff, receipt: str, query: str = "") -> str:
    response = await staff.get(f"/console/opinions/{receipt}{query}")
    assert response.status == 200, await response.text()
    return await response.text()


async def test_staff_enter_an_opinion_see_it_listed_and_refer_it_to_a_unit_whose_link_opens(staff, api, station,
                                                                                            clock):
    form = await (await staff.get("/console/opinions")).text()
    assert "录入群众意见" in form and "城关镇代表联络站（代表联络站）" in form and "└ 城关商会联系点" in form
    assert 'name="hide_from_units" checked' in form and '<a href="/console/opinions">群众意见</a>' in form
    receipt = await _enter(staff, station=str(station))
    landed = await _page(staff, receipt, "?done=receive")
    assert f"已登记，回执号 {receipt}" in landed and NAME in landed and PHONE in landed and "不向承办单位提供姓名电话" in landed

    listed = await (await staff.get("/console/opinions")).text()
    assert receipt in listed and "待处理" in listed and TEXT[:40] + "…" in listed and TEXT not in listed
    year = clock.today.year
    assert receipt in await (await staff.get(f"/console/opinions?station={station}&year={year}")).text()
    assert receipt not in await (await staff.get(f"/console/opinions?year={year - 1}")).text()
    assert receipt not in await (await staff.get("/console/opinions?state=answered")).text()
    assert receipt not in await (await staff.get("/console/opinions?deputy=D002")).text()

    assert 'id="action-refer"' in landed and "县交通运输局（JTJ）" in landed
    referred = await _act(staff, receipt, "refer", unit="JTJ", note="请核实路口信号灯配时。")
    assert referred.status == 303 and referred.headers["Location"] == f"/console/opinions/{receipt}?done=refer"
    page = await _page(staff, receipt, "?done=refer")
    assert "已完成：转交办理" in page and "已转办" in page and "县交通运输局" in page and "请核实路口信号灯配时。" in page
    link = re.search(r'href="(/u/o[^"]+)"', page).group(1)
    unit_page = await staff.get(link)
    unit_text = await unit_page.text()
    assert unit_page.status == 200 and TEXT in unit_text and NAME not in unit_text and PHONE not in unit_text
    assert "转交办理" in page and "王干事" in page  # the timeline names the staff member


async def test_an_unticked_box_lets_the_unit_see_the_contact_and_a_bad_entry_keeps_what_was_typed(staff, api, station):
    bad = await post_form(staff, "/console/opinions", {"text": "", "citizen_name": NAME, "hide_from_units_shown": "1",
                                                       "station": str(station)})
    text = await bad.text()
    assert bad.status == 400 and "请写下您要反映的意见" in text and f'value="{NAME}"' in text
    assert 'name="hide_from_units" >' in text or 'name="hide_from_units"  >' in text  # unticked stays unticked
    nowhere = await post_form(staff, "/console/opinions", {"text": TEXT, "hide_from_units_shown": "1"})
    assert nowhere.status == 400 and "请选择反映给哪位代表或哪个联络站" in await nowhere.text()
    unknown = await post_form(staff, "/console/opinions", {"text": TEXT, "deputy": "D999"})
    assert unknown.status == 400 and "不在代表名册中" in await unknown.text()

    receipt = await _enter(staff, station=str(station), hide_from_units=None, received_on="")
    shown = (await api.get(f"/api/v1/opinions/{receipt}")).body
    assert shown["citizen"]["hide_from_units"] is False and shown["channel"] == "visit"


async def test_staff_answer_one_and_a_second_answer_is_refused_in_chinese_with_409(staff, api, station):
    receipt = await _enter(staff, deputy="D001")
    page = await _page(staff, receipt)
    assert "张三丰（D001）" in page and "城关镇代表联络站" in page  # the deputy's one station
    answered = await _act(staff, receipt, "answer", text="已联系交警大队，下月起东门口绿灯延长至 45 秒。")
    assert answered.status == 303
    page = await _page(staff, receipt)
    assert "已答复" in page and "下月起东门口绿灯延长至 45 秒" in page and 'id="action-answer"' not in page
    again = await _act(staff, receipt, "answer", text="再答一次")
    text = await again.text()
    assert again.status == 409 and "不能“答复群众”" in text and "没有做任何更改" in text


async def test_two_opinions_become_a_draft_whose_page_lists_both_receipts(staff, api, station):
    first = await _enter(staff, deputy="D001")
    second = await _enter(staff, deputy="D001", text="东门十字路口没有斑马线，孩子上学很危险。")
    page = await _page(staff, first)
    assert 'id="action-to_proposal"' in page and "一并形成建议的其他意见" in page
    made = await _act(staff, first, "to_proposal", **{"with": second, "title": "关于改善城关镇东门路口通行安全的建议"})
    assert made.status == 303, await made.text()
    location = made.headers["Location"]
    assert re.fullmatch(r"/console/proposals/d\d+\?done=opinions", location), location
    draft = await (await staff.get(location)).text()
    assert "关于改善城关镇东门路口通行安全的建议" in draft and "所载群众意见" in draft and "已由群众意见形成建议草稿" in draft
    assert f'href="/console/opinions/{first}"' in draft and f'href="/console/opinions/{second}"' in draft
    assert NAME not in draft and PHONE not in draft
    carried = await _page(staff, second)
    assert "已形成建议" in carried and f'href="{location.split("?")[0]}"' in carried


async def test_a_station_opinion_needs_a_deputy_for_a_proposal_and_the_typed_title_is_kept(staff, api, station):
    receipt = await _enter(staff, station=str(station))
    refused = await _act(staff, receipt, "to_proposal", title="关于东门路口的建议")
    text = await refused.text()
    assert refused.status == 400 and "请指明由哪位代表提出" in text and 'value="关于东门路口的建议"' in text
    other = await _act(staff, receipt, "to_proposal", **{"with": "ZZZZZZZZZZ"})
    assert other.status == 400 and "找不到回执号为 ZZZZZZZZZZ 的意见" in await other.text()
    made = await _act(staff, receipt, "to_proposal", deputy="D002")
    assert made.status == 303 and made.headers["Location"].startswith("/console/proposals/d")


async def test_out_of_remit_closes_with_where_to_go_and_then_nothing_is_allowed(staff, api, station):
    receipt = await _enter(staff, station=str(station), text="我和邻居的宅基地纠纷法院正在审理，请代表帮忙。")
    page = await _page(staff, receipt)
    assert "正在诉讼或应当诉讼的案件" in page
    missing_reason = await _act(staff, receipt, "close_out_of_remit", where="请向法院咨询")
    text = await missing_reason.text()
    assert missing_reason.status == 400 and "请向法院咨询" in text
    closed = await _act(staff, receipt, "close_out_of_remit", reason="正在诉讼或应当诉讼的案件")
    assert closed.status == 303
    page = await _page(staff, receipt)
    assert "不属于受理范围" in page and "12368" in page and "没有需要工作人员办理的操作" in page
    refused = await _act(staff, receipt, "answer", text="已答复")
    text = await refused.text()
    assert refused.status == 409 and "这条意见不属于受理范围，不能再操作" in text


async def test_a_viewer_reads_but_cannot_act_and_a_bad_receipt_is_a_chinese_404(staff, api, station, client, db):
    receipt = await _enter(staff, station=str(station))
    missing = await staff.get("/console/opinions/ZZZZZZZZZZ")
    assert missing.status == 404 and "找不到回执号为 ZZZZZZZZZZ 的意见" in await missing.text()
    too_long = await staff.get("/console/opinions/" + "A" * 40)
    assert too_long.status == 404 and "找不到" in await too_long.text()
    posted = await _act(staff, "ZZZZZZZZZZ", "answer", text="答复")
    assert posted.status == 404 and "找不到" in await posted.text()

    await add_user(db, "kan", "viewer", display_name="只读甲")
    await set_password(db, "kan", "correct-horse-9")
    sign_out_locally(client)
    await signed_in(client, "kan")
    page = await _page(client, receipt)
    assert "您的账号只能查看，不能办理" in page and 'name="action"' not in page and "录入群众意见" not in page
    assert 'name="action"' not in await (await client.get("/console/opinions")).text()
    refused = await _act(client, receipt, "answer", text="答复")
    assert refused.status == 403 and "没有权限" in await refused.text()
    entered = await post_form(client, "/console/opinions", {"text": TEXT, "station": str(station)})
    assert entered.status == 403
    assert (await api.get(f"/api/v1/opinions/{receipt}")).body["state"] == "received"
