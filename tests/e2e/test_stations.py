"""代表联络站 "1+N" over HTTP: staff register a station with its points, its deputies, the duty roster and a
接待日 through the API and the console, and read them back; bad input is refused in Chinese and changes
nothing; every station's 联络站码 is 8 unguessable characters, unique."""
from __future__ import annotations

import datetime as dt
import re

from tests.support.api import CHINESE, _answer
from tests.support.console import post_form, sign_out_locally, signed_in
from workflow.usecases.accounts import add_user

ALPHABET = set("ACDEFGHJKLMNPQRTUVWXY34679")
STATION = {"name": "城关镇人大代表联络站", "township": "城关镇", "address": "城关镇人民路 18 号", "phone": "0734-6851018"}
POINTS = [("城关镇模范好人服务点", "model_service"), ("东湖村乡村振兴民意点", "rural")]


async def _station(api) -> dict:
    """The station with its two points, both deputies at the station and D002 at the rural point."""
    made = await api.post("/api/v1/stations", STATION)
    assert made.status == 201, made.body
    station = made.body
    for name, kind in POINTS:
        point = await api.post("/api/v1/stations", {"parent_id": station["id"], "name": name, "kind": kind})
        assert point.status == 201, point.body
    station = (await api.get(f"/api/v1/stations/{station['id']}")).body
    put = await api.client.put(f"/api/v1/stations/{station['id']}/deputies", json={"deputies": ["D001", "D002"]},
                               headers=api.auth)
    assert put.status == 200, await put.text()
    rural = station["points"][1]["id"]
    assert (await api.client.put(f"/api/v1/stations/{rural}/deputies", json={"deputies": ["D002"]},
                                 headers=api.auth)).status == 200
    return (await api.get(f"/api/v1/stations/{station['id']}")).body


def _refused(answer, status: int = 400, *words: str) -> None:
    assert answer.status == status, (answer.status, answer.body)
    assert CHINESE.search(answer.message()), answer.body
    for word in words:
        assert word in answer.message(), (word, answer.message())


async def _put(api, path: str, body: dict, headers=None):
    return await _answer(await api.client.put(path, json=body, headers=api.auth if headers is None else headers))


async def _patch(api, path: str, body: dict):
    return await _answer(await api.client.patch(path, json=body, headers=api.auth))


async def test_a_station_with_two_points_deputies_duty_and_a_reception_day_read_back_through_the_api(api, clock):
    station = await _station(api)
    sid, today = station["id"], clock.today
    duty = await api.post(f"/api/v1/stations/{sid}/duty", {"items": [
        {"deputy": "D001", "day": (today + dt.timedelta(days=1)).isoformat(), "note": "上午 9:00—12:00"},
        {"deputy": "D002", "day": (today + dt.timedelta(days=3)).isoformat()}]})
    assert duty.status == 201, duty.body
    reception = await api.post(f"/api/v1/stations/{sid}/receptions", {
        "day": (today - dt.timedelta(days=2)).isoformat(), "deputies": ["D001", "D002"], "people": 12,
        "summary": "群众反映东湖村道路破损、学校门口缺少红绿灯。"})
    assert reception.status == 201, reception.body

    listed = (await api.get("/api/v1/stations")).body["items"]
    assert [s["name"] for s in listed] == [STATION["name"]]
    item = listed[0]
    assert item["kind"] == "station" and item["kind_label"] == "代表联络站" and item["township"] == "城关镇"
    assert [(p["name"], p["kind"], p["kind_label"]) for p in item["points"]] == [
        ("城关镇模范好人服务点", "model_service", "模范好人服务点"), ("东湖村乡村振兴民意点", "rural", "乡村振兴民意点")]
    assert all(p["township"] == "城关镇" and p["parent_id"] == sid for p in item["points"])  # the station's township
    assert [(d["number"], d["name"]) for d in item["deputies"]] == [("D001", "张三丰"), ("D002", "李四海")]
    assert [(d["number"], d["name"]) for d in item["points"][1]["deputies"]] == [("D002", "李四海")]
    assert item["counts"] == {"points": 2, "deputies": 2, "duty_days": 2, "receptions": 1, "people": 12}

    detail = (await api.get(f"/api/v1/stations/{sid}")).body
    assert [(d["deputy"], d["deputy_name"], d["day"], d["note"]) for d in detail["duty_days"]] == [
        ("D001", "张三丰", (today + dt.timedelta(days=1)).isoformat(), "上午 9:00—12:00"),
        ("D002", "李四海", (today + dt.timedelta(days=3)).isoformat(), "")]
    [shown] = detail["receptions"]
    assert shown["people"] == 12 and shown["day"] == (today - dt.timedelta(days=2)).isoformat()
    assert [(d["number"], d["name"]) for d in shown["deputies"]] == [("D001", "张三丰"), ("D002", "李四海")]
    assert "红绿灯" in shown["summary"] and detail["parent"] is None
    point = (await api.get(f"/api/v1/stations/{item['points'][0]['id']}")).body
    assert point["parent"] == {"id": sid, "name": STATION["name"], "code": item["code"]} and point["is_point"]

    clock.advance(2)  # the first duty day has gone by: now in the last 30 days
    later = (await api.get(f"/api/v1/stations/{sid}")).body
    assert [d["deputy"] for d in later["duty_days"]] == ["D002"]
    assert [d["deputy"] for d in later["recent_duty_days"]] == ["D001"]


async def test_codes_are_eight_characters_of_the_public_alphabet_and_unique(api):
    station = await _station(api)
    more = [(await api.post("/api/v1/stations", {"name": f"第{i}联络站"})).body for i in range(6)]
    codes = [station["code"], *(p["code"] for p in station["points"]), *(m["code"] for m in more)]
    assert len(codes) == 9 and len(set(codes)) == 9
    assert all(len(c) == 8 and set(c) <= ALPHABET for c in codes), codes
    assert station["code"] not in {m["code"] for m in more}


async def test_bad_input_is_refused_in_chinese_and_changes_nothing(api, clock, db):
    station = await _station(api)
    sid, point = station["id"], station["points"][0]["id"]
    before = (await api.get("/api/v1/stations")).body
    tomorrow = (clock.today + dt.timedelta(days=1)).isoformat()

    _refused(await api.post("/api/v1/stations", {"name": "  "}), 400, "名称")
    _refused(await api.post("/api/v1/stations", {"name": "某服务点", "kind": "model_service"}), 400, "联系点")
    _refused(await api.post("/api/v1/stations", {"name": STATION["name"]}), 400, "已有")
    _refused(await api.post("/api/v1/stations", {"parent_id": point, "name": "点下之点", "kind": "rural"}),
             400, "联系点下不能再设联系点")
    _refused(await api.post("/api/v1/stations", {"parent_id": sid, "name": "某点", "kind": "station"}), 400, "类型")
    _refused(await api.post("/api/v1/stations", {"parent_id": "abc", "name": "某点", "kind": "rural"}), 400, "parent_id")
    _refused(await api.post("/api/v1/stations", {"parent_id": 99999, "name": "某点", "kind": "rural"}), 404)
    _refused(await api.post("/api/v1/stations", {"name": "电话站", "phone": "请打 12345"}), 400, "电话")
    _refused(await _put(api, f"/api/v1/stations/{sid}/deputies", {"deputies": ["D001", "D404"]}), 400, "D404")
    _refused(await _put(api, f"/api/v1/stations/{sid}/deputies", {"deputies": "D001"}), 400, "列表")
    _refused(await _put(api, f"/api/v1/stations/{sid}/deputies", {"deputies": [1, None]}), 400)
    _refused(await api.post(f"/api/v1/stations/{sid}/duty", {"items": [
        {"deputy": "D001", "day": tomorrow}, {"deputy": "D002", "day": "2026-02-30"}]}), 400, "第 2 行")
    _refused(await api.post(f"/api/v1/stations/{sid}/duty", {"items": [
        {"deputy": "D001", "day": (clock.today - dt.timedelta(days=1)).isoformat()}]}), 400, "今天")
    _refused(await api.post(f"/api/v1/stations/{point}/duty", {"items": [{"deputy": "D001", "day": tomorrow}]}),
             400, "不是")  # D001 is not a deputy of the point
    _refused(await api.post(f"/api/v1/stations/{sid}/duty", {"items": [{"deputy": "D404", "day": tomorrow}]}), 400, "D404")
    _refused(await api.post(f"/api/v1/stations/{sid}/duty", {"items": "D001"}), 400, "items")
    _refused(await api.post(f"/api/v1/stations/{sid}/receptions", {
        "day": tomorrow, "deputies": ["D001"], "people": 3}), 400, "不能晚于今天")
    _refused(await api.post(f"/api/v1/stations/{sid}/receptions", {
        "day": "昨天", "deputies": ["D001"], "people": 3}), 400, "日期")
    _refused(await api.post(f"/api/v1/stations/{sid}/receptions", {
        "day": clock.today.isoformat(), "deputies": ["D001"], "people": -1}), 400, "人数")
    _refused(await api.post(f"/api/v1/stations/{sid}/receptions", {
        "day": clock.today.isoformat(), "deputies": [], "people": 3}), 400, "代表")
    _refused(await api.get("/api/v1/stations/99999"), 404)

    viewer = {"Authorization": f"Bearer {(await add_user(db, 'kan', 'viewer')).token}"}
    assert (await api.get("/api/v1/stations", headers=viewer)).status == 200
    _refused(await api.post("/api/v1/stations", {"name": "观察员的站"}, headers=viewer), 403)
    _refused(await _put(api, f"/api/v1/stations/{sid}/deputies", {"deputies": []}, headers=viewer), 403)
    assert (await api.get("/api/v1/stations")).body == before


async def test_duty_days_come_off_the_roster_until_they_have_gone_by(api, clock):
    sid = (await _station(api))["id"]
    day = (clock.today + dt.timedelta(days=1)).isoformat()
    added = await api.post(f"/api/v1/stations/{sid}/duty", {"items": [{"deputy": "D001", "day": day},
                                                                       {"deputy": "D002", "day": day}]})
    first, second = [d["id"] for d in added.body["duty_days"]]
    _refused(await api.post(f"/api/v1/stations/{sid}/duty", {"items": [{"deputy": "D001", "day": day}]}),
             400, "已在值班表中")
    removed = await api.client.delete(f"/api/v1/stations/{sid}/duty/{first}", headers=api.auth)
    assert removed.status == 200 and [d["deputy"] for d in (await removed.json())["duty_days"]] == ["D002"]
    clock.advance(3)
    gone = await api.client.delete(f"/api/v1/stations/{sid}/duty/{second}", headers=api.auth)
    assert gone.status == 400 and "不能删除" in (await gone.json())["message"]
    assert (await api.client.delete(f"/api/v1/stations/{sid}/duty/{first}", headers=api.auth)).status == 404


async def test_staff_set_up_a_station_in_the_console_and_a_bad_form_is_shown_again(staff, api, clock):
    page = await (await staff.get("/console/stations")).text()
    assert "还没有登记代表联络站" in page and 'href="/console/stations">联络站</a>' in page
    made = await post_form(staff, "/console/stations", {**STATION, "kind": "station"})
    text = await made.text()
    assert made.status == 200 and f"已登记“{STATION['name']}”" in text
    sid = int(re.search(r'href="/console/stations/(\d+)"', text).group(1))
    path = f"/console/stations/{sid}"
    for name, kind in POINTS:
        added = await post_form(staff, f"{path}/points", {"name": name, "kind": kind}, token_from=path)
        assert added.status == 200 and f"已添加“{name}”" in await added.text()
    bad = await post_form(staff, f"{path}/points", {"name": "", "kind": "rural"}, token_from=path)
    assert bad.status == 400 and "请填写名称" in await bad.text()
    refused = await post_form(staff, f"{path}/deputies", {"numbers": "D001 D404"}, token_from=path)
    refused_text = await refused.text()
    assert refused.status == 400 and "D404" in refused_text and "D001 D404</textarea>" in refused_text
    saved = await post_form(staff, f"{path}/deputies", {"numbers": "D001，D002"}, token_from=path)
    assert "已保存进站代表（2 位）" in await saved.text()

    day = (clock.today + dt.timedelta(days=2)).isoformat()
    token = re.search(r'name="csrf_token" value="([^"]*)"', await (await staff.get(path)).text()).group(1)
    wrong = await staff.post(f"{path}/duty", data=[("csrf_token", token), ("deputy", "D001"), ("day", day),
                                                    ("note", "上午"), ("deputy", "D002"), ("day", "2026-13-01"),
                                                    ("note", ""), ("deputy", ""), ("day", ""), ("note", "")])
    wrong_text = await wrong.text()
    assert wrong.status == 400 and "第 2 行" in wrong_text and 'value="2026-13-01"' in wrong_text
    duty = await staff.post(f"{path}/duty", data=[("csrf_token", token), ("deputy", "D001"), ("day", day),
                                                   ("note", "上午"), ("deputy", ""), ("day", ""), ("note", "")])
    assert "已加入值班表 1 行" in await duty.text()
    reception = await staff.post(f"{path}/receptions", data=[
        ("csrf_token", token), ("day", clock.today.isoformat()), ("deputies", "D001"), ("other_deputies", "D002"),
        ("people", "7"), ("summary", "接待群众 7 人，反映饮水问题。")])
    assert "接待群众 7 人" in await reception.text()

    detail = await (await staff.get(path)).text()
    assert all(name in detail for name, _ in POINTS) and "张三丰（D001）" in detail and "上午" in detail
    assert "反映饮水问题" in detail and "/console/stations/%d/plate" % sid in detail
    listing = await (await staff.get("/console/stations")).text()
    assert "今后值班 1 天" in listing and "接待日 1 次，接待群众 7 人次" in listing
    api_view = (await api.get(f"/api/v1/stations/{sid}")).body
    assert api_view["counts"] == {"points": 2, "deputies": 2, "duty_days": 1, "receptions": 1, "people": 7}


async def test_a_viewer_reads_the_stations_but_a_viewer_posting_is_refused_and_nothing_changes(client, staff, api, db):
    sid = (await _station(api))["id"]
    page = await (await staff.get(f"/console/stations/{sid}")).text()
    token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    await add_user(db, "zhao", "viewer", "correct-horse-9")
    sign_out_locally(client)
    await signed_in(client, "zhao", "correct-horse-9")
    seen = await (await client.get(f"/console/stations/{sid}")).text()
    assert STATION["name"] in seen and "设置进站代表" not in seen and "记录接待日" not in seen
    viewer_token = re.search(r'name="csrf_token" value="([^"]*)"', seen).group(1)
    before = (await api.get("/api/v1/stations")).body
    for path, data in ((f"/console/stations/{sid}/deputies", {"numbers": ""}), ("/console/stations", {"name": "新站"}),
                       (f"/console/stations/{sid}/points", {"name": "新点", "kind": "rural"})):
        refused = await client.post(path, data={**data, "csrf_token": viewer_token or token})
        assert refused.status == 403 and "没有权限" in await refused.text()
    assert (await api.get("/api/v1/stations")).body == before
    assert (await client.get("/console/stations/99999")).status == 404


async def test_a_station_corrected_and_stopped_keeps_its_code_and_its_public_page_closes(api, client, staff):
    station = await _station(api)
    sid, code = station["id"], station["code"]
    assert (await client.get(f"/o/{code}")).status == 200
    patched = await _patch(api, f"/api/v1/stations/{sid}", {"address": "城关镇人民路 20 号", "active": False})
    assert patched.status == 200, patched.body
    assert patched.body["address"] == "城关镇人民路 20 号" and patched.body["name"] == STATION["name"]
    assert patched.body["active"] is False and patched.body["code"] == code
    assert (await client.get(f"/o/{code}")).status == 404
    _refused(await _patch(api, f"/api/v1/stations/{sid}", {"active": "也许"}), 400, "active")
    path = f"/console/stations/{sid}"
    edited = await post_form(staff, path, {"name": "城关镇代表联络站", "kind": "station", "township": "城关镇",
                                           "address": "", "phone": "", "active": "1"})
    assert edited.status == 200 and "已保存“城关镇代表联络站”" in await edited.text()
    again = (await api.get(f"/api/v1/stations/{sid}")).body
    assert again["active"] is True and again["name"] == "城关镇代表联络站" and again["code"] == code
    point = station["points"][0]["id"]
    bad = await post_form(staff, f"/console/stations/{point}", {"name": "服务点", "kind": "station"})
    assert bad.status == 400 and "请选择联系点的类型" in await bad.text()
