"""The dashboard's .xlsx exports and the public reply page, through HTTP on the hand-computed year of
tests/support/dashboard.py: the files open with openpyxl and their figures equal the dashboard's (and
the API's); the public page needs no sign-in and shows only published replies of non-confidential
proposals, with user text as text."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from storage.models import Event, Reply
from tests.support.api import CHINESE, Api
from tests.support.console import PASSWORD, csrf_of, signed_in
from tests.support.dashboard import SCRIPT_TEXT, read_figures
from web.dashboard.exports import STATS_COLUMNS
from web.dashboard.xlsx import Sheet, write_workbook
from workflow.domain.tallies import DEFINITIONS, RATE_LABELS
from workflow.readmodels.ledger import ledger_chunks
from workflow.usecases.accounts import add_user
from workflow.usecases.audit import verify_all

FIELDS = [name for _, name, _ in STATS_COLUMNS]


@pytest.fixture
async def browser(client, db):
    await add_user(db, "wang2", "staff", PASSWORD, display_name="王干事")
    await signed_in(client, "wang2")
    return client


async def workbook(client, path: str):
    response = await client.get(path)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(await response.read()))


def number(value):
    """A figure from a cell or a page attribute, to compare (Excel keeps 1.0 as 1)."""
    return None if value in (None, "") else float(value)


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=2, values_only=True))


async def reply_id(api: Api, number: str) -> int:
    return (await api.detail(number))["replies"][0]["id"]


async def events_of(db, number_id: int) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Event).where(
            Event.proposal_id == number_id))).scalar_one()


# ------------------------------------------------------------------ the tally sheet
async def test_tally_sheet_figures_equal_the_dashboards_and_the_apis(year, browser):
    api, _ = year
    book = await workbook(browser, "/dashboard/export/tally.xlsx?year=2025")
    assert book.sheetnames == ["承办单位", "总体", "类别", "重点督办", "口径说明"]
    shown = read_figures(await (await browser.get("/dashboard?year=2025")).text())

    units = {row[1]: row for row in rows_of(book["承办单位"])}
    by_unit = (await api.get("/api/v1/stats", year="2025", by="unit")).body["groups"]
    assert set(units) == set(by_unit) == {"JYJ", "JTJ", "WJJ"}
    for code, row in units.items():
        assert dict(zip(FIELDS, row[3:])) == {f: by_unit[code][f] for f in FIELDS}, code
        on_page = shown.figures[f"unit:{code}"]
        assert {f: number(v) for f, v in zip(FIELDS, row[3:]) if f in on_page} == {
            f: number(v) for f, v in on_page.items()}
        # a cell's number is a double (Excel has no integers): 1 may read back as 1.0
        assert (str(int(row[0])) if isinstance(row[0], (int, float)) else "") == shown.ranks[code]
    assert units["WJJ"][0] == "不足3件不排名"

    (overall,) = rows_of(book["总体"])
    api_overall = (await api.get("/api/v1/stats", year="2025")).body
    assert dict(zip(FIELDS, overall[1:])) == {f: api_overall[f] for f in FIELDS}
    by_category = (await api.get("/api/v1/stats", year="2025", by="category")).body["groups"]
    assert {row[0]: dict(zip(FIELDS, row[1:])) for row in rows_of(book["类别"])} == {
        name: {f: s[f] for f in FIELDS} for name, s in by_category.items()}
    by_key = (await api.get("/api/v1/stats", year="2025", by="key")).body["groups"]
    key_rows = {row[0]: dict(zip(FIELDS, row[1:])) for row in rows_of(book["重点督办"])}
    assert key_rows["重点督办"] == {f: by_key["True"][f] for f in FIELDS}
    assert key_rows["其他"] == {f: by_key["False"][f] for f in FIELDS}
    assert book["承办单位"].cell(row=2, column=4 + FIELDS.index("reply_rate")).number_format == "0.0%"


async def test_tally_sheet_shows_the_hand_computed_year_with_the_dashboards_names_and_definitions(year, browser):
    book = await workbook(browser, "/dashboard/export/tally.xlsx?year=2025")
    headers = [cell.value for cell in book["总体"][1]][1:]
    assert headers == [header for header, _, _ in STATS_COLUMNS]
    for name, label in RATE_LABELS.items():
        assert label in headers, name
    (overall,) = rows_of(book["总体"])
    figures = dict(zip(FIELDS, overall[1:]))
    assert {k: figures[k] for k in ("assigned", "replied", "replied_on_time", "reply_rate", "on_time_reply_rate",
                                    "satisfied_only_rate", "first_reply_satisfaction_rate", "reply_no_feedback",
                                    "implementation_no_feedback", "solved_rate", "contacted", "face_to_face",
                                    "contact_rate", "face_to_face_rate")} == {
        "assigned": 10, "replied": 8, "replied_on_time": 7, "reply_rate": 0.8, "on_time_reply_rate": 0.7,
        "satisfied_only_rate": 0.5, "first_reply_satisfaction_rate": 0.5, "reply_no_feedback": 1,
        "implementation_no_feedback": 1, "solved_rate": 0.5, "contacted": 9, "face_to_face": 4,
        "contact_rate": 0.8182, "face_to_face_rate": 0.3636}
    column = 2 + FIELDS.index("face_to_face_rate")
    note = book["总体"].cell(row=1, column=column).comment
    assert note.text.split("\n", 1)[1] == DEFINITIONS["face_to_face_rate"]  # after the note's author line
    definitions = dict(rows_of(book["口径说明"]))
    assert definitions[RATE_LABELS["solved_rate"]] == DEFINITIONS["solved_rate"]
    assert set(definitions) >= set(RATE_LABELS.values())


# ------------------------------------------------------------------ the ledger
async def test_ledger_has_one_row_per_proposal_and_one_per_assignment(year, browser):
    _, p = year
    book = await workbook(browser, "/dashboard/export/ledger.xlsx?year=2025")
    proposals = {row[0]: row for row in rows_of(book["建议台账"])}
    assert set(proposals) == {p[n] for n in ("P1", "P2", "P3", "P4", "P5", "P7", "P8", "P9", "P10", "P11", "P12")}
    p2 = dict(zip([c.value for c in book["建议台账"][1]], proposals[p["P2"]]))
    assert (p2["重点督办"], p2["领办领导"], p2["最新答复类别"], p2["答复评价"], p2["落实评价"]) == (
        "是", "刘副县长", "B", "基本满意", "不满意")
    assert p2["主办单位"] == "县教育局" and p2["状态"] == "落实中"
    title_cell = next(c for c in book["建议台账"]["B"] if c.value and str(c.value).startswith("=1+1"))
    assert title_cell.data_type == "s"  # a deputy's text is never a formula

    shares = rows_of(book["交办明细"])
    assert len(shares) == 12  # P1 lead and co-unit, two leads for P10 (分办), one lead each for the others
    shown = read_figures(await (await browser.get("/dashboard?year=2025")).text())
    assert len({row[0] for row in shares if row[4] == "主办"}) == int(shown.figures["overall"]["assigned"])
    assert sum(1 for row in shares if row[0] == p["P10"] and row[4] == "主办") == 2
    p1_co = next(row for row in shares if row[0] == p["P1"] and row[4] == "协办")
    assert p1_co[2:4] == ("JTJ", "县交通运输局")


async def test_ledger_is_read_in_chunks_that_add_up_to_the_whole_year(year, db):
    chunks = [chunk async for chunk in ledger_chunks(db, 2025, chunk=3)]
    assert [len(proposals) for proposals, _ in chunks] == [3, 3, 3, 2]
    (whole,) = [chunk async for chunk in ledger_chunks(db, 2025)]
    assert [row for proposals, _ in chunks for row in proposals] == whole[0]
    assert [row for _, shares in chunks for row in shares] == whole[1]


def test_text_from_people_is_never_a_formula_and_loses_characters_xml_refuses(tmp_path):
    path = tmp_path / "x.xlsx"
    long = "长" * 40000  # past Excel's 32,767 characters in a cell
    write_workbook(path, [Sheet("x", [("a", 10), ("b", 10), ("c", 10), ("d", 10), ("e", 10)])],
                   [[[("=HYPERLINK(\"http://x\")", "甲\x0b乙", 3, "第一行\n第二行", long)]]])
    formula, control, number, lines, cut = load_workbook(path)["x"][2]
    assert formula.data_type == "s" and formula.value.startswith("=HYPERLINK")
    assert (control.value, number.value, lines.value) == ("甲乙", 3, "第一行\n第二行")
    assert cut.value == long[:32767]


def test_a_sheet_without_rows_still_has_its_header_and_the_other_sheets_their_rows(tmp_path):
    path = tmp_path / "x.xlsx"
    counts = write_workbook(path, [Sheet("甲", [("a", 10)]), Sheet("乙", [("b", 10), ("c", 10)])],
                            [[[], [(1, "一")]], [[], [(2, "二")]]])
    book = load_workbook(path)
    assert counts == [0, 2]
    assert [c.value for c in book["甲"][1]] == ["a"] and book["甲"].max_row == 1
    assert list(book["乙"].iter_rows(values_only=True)) == [("b", "c"), (1, "一"), (2, "二")]


# ------------------------------------------------------------------ print setup
def printed_as_the_committee_reads_it(ws) -> bool:
    """Landscape, one page wide (any number down), the header row on every page."""
    setup = ws.page_setup
    return (setup.orientation == "landscape" and bool(ws.sheet_properties.pageSetUpPr.fitToPage)
            and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0  # 1 is fitToWidth's default
            and (ws.print_title_rows or "").replace("$", "") == "1:1")


@pytest.mark.parametrize("path", ["/dashboard/export/ledger.xlsx?year=2025", "/dashboard/export/tally.xlsx?year=2025",
                                  "/dashboard/export/replies.xlsx?year=2025"])
async def test_every_exported_sheet_prints_landscape_one_page_wide_with_its_header_on_each_page(year, browser, path):
    book = await workbook(browser, path)
    for ws in book.worksheets:
        assert printed_as_the_committee_reads_it(ws), ws.title
        assert ws.page_setup.paperSize in (9, "9") and ws.print_options.gridLines  # A4, the grid printed
        assert ws.page_margins.left < 0.75 and ws.freeze_panes == "A2"


def test_a_sheet_without_print_setup_is_told_apart(tmp_path):
    from openpyxl import Workbook

    plain = Workbook()
    plain.active.append(["a"])
    plain.save(tmp_path / "plain.xlsx")
    assert not printed_as_the_committee_reads_it(load_workbook(tmp_path / "plain.xlsx").active)


# ------------------------------------------------------------------ publishing and the public page
async def test_public_page_shows_only_published_replies_of_non_confidential_proposals_without_login(year, client):
    api, p = year
    assert (await api.post(f"/api/v1/replies/{await reply_id(api, p['P1'])}/publish", {})).status == 200
    refused = await api.post(f"/api/v1/replies/{await reply_id(api, p['P4'])}/publish", {})
    assert refused.status == 409 and "保密" in refused.message()
    response = await client.get("/replies")  # no session, no token
    text = await response.text()
    assert response.status == 200
    assert p["P1"] in text and p["P2"] not in text and p["P4"] not in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert (await client.get("/replies?year=2024")).status == 200


async def test_a_confidential_proposals_reply_is_never_published_and_nothing_changes(year, db):
    api, p = year
    rid = await reply_id(api, p["P4"])
    async with db.read() as session:
        pid = (await session.get(Reply, rid)).proposal_id
    before = await events_of(db, pid)
    answer = await api.post(f"/api/v1/replies/{rid}/publish", {"published": True})
    assert answer.status == 409 and CHINESE.search(answer.message())
    async with db.read() as session:
        assert (await session.get(Reply, rid)).published is False
    assert await events_of(db, pid) == before


async def test_publishing_is_an_event_with_the_staff_members_name_and_the_chain_still_verifies(year, db):
    api, p = year
    rid = await reply_id(api, p["P1"])
    assert (await api.post(f"/api/v1/replies/{rid}/publish", {})).body["changed"] is True
    assert (await api.post(f"/api/v1/replies/{rid}/publish", {})).body["changed"] is False  # once is enough
    detail = await api.detail(p["P1"])
    assert detail["replies"][0]["published"] is True
    events = detail["events"]
    assert [(e["action"], e["label"], e["actor"]["name"]) for e in events[-1:]] == [("publish_reply", "公开答复", "王干事")]
    withdrawn = await api.post(f"/api/v1/replies/{rid}/publish", {"published": False})
    assert withdrawn.status == 200 and withdrawn.body["changed"] is True
    assert (await api.detail(p["P1"]))["events"][-1]["action"] == "unpublish_reply"
    problems, _ = await verify_all(db)
    assert problems == []
    bad = await api.post(f"/api/v1/replies/{rid}/publish", {"published": "yes"})
    assert bad.status == 400 and CHINESE.search(bad.message())
    assert (await api.post("/api/v1/replies/99999999/publish", {})).status == 404


async def test_staff_publish_from_the_console_and_a_form_without_its_token_changes_nothing(year, browser, db):
    api, p = year
    rid = await reply_id(api, p["P1"])
    without = await browser.post(f"/dashboard/replies/{rid}/publish", data={"published": "1"}, allow_redirects=False)
    assert without.status == 403
    async with db.read() as session:
        assert (await session.get(Reply, rid)).published is False
    token = await csrf_of(browser, "/dashboard/replies?year=2025")
    done = await browser.post(f"/dashboard/replies/{rid}/publish", data={"published": "1", "year": "2025",
                                                                        "csrf_token": token}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"].startswith("/dashboard/replies?year=2025")
    assert p["P1"] in await (await browser.get("/replies")).text()
    page = await (await browser.get("/dashboard/replies?year=2025")).text()
    assert "保密，不公开" in page and "撤回公开" in page


async def test_replies_export_lists_what_the_public_page_shows(year, browser):
    api, p = year
    for name in ("P1", "P8"):
        await api.post(f"/api/v1/replies/{await reply_id(api, p[name])}/publish", {})
    book = await workbook(browser, "/dashboard/export/replies.xlsx?year=2025")
    rows = rows_of(book["公开答复"])
    assert {row[0] for row in rows} == {p["P1"], p["P8"]}
    p1 = next(row for row in rows if row[0] == p["P1"])
    assert p1[7] == SCRIPT_TEXT and p1[3] == "县教育局" and p1[4].startswith("A 类")
