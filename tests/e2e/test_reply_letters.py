"""Issue 11 item 6a, 答复函: the reply is signed by one of the unit's registered heads, printed as an A4 page
and a .docx with the official number, the category mark and the letter's figures, and the sealed PDF the
unit uploads is kept by SHA-256 (in the event log) for staff and the deputy."""
from __future__ import annotations

import datetime as dt
import hashlib
from io import BytesIO
from pathlib import Path

import aiohttp
import docx
from sqlalchemy import select

from storage.models import Proposal
from tests.support.api import CHINESE
from tests.support.console import post_form
from workflow.domain.letters import SEALED_MAX_BYTES
from workflow.domain.links import make_feedback_token

TITLE = "关于县十八届人大五次会议第1号建议的答复"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
LETTER = {"category": "A", "text": "经研究，已安排专项资金维修城关中学教学楼。\n暑假期间完成施工。", "signer": "刘明辉",
          "doc_number": "衡教函〔2026〕12号", "handler": "欧阳琳", "handler_phone": "0734-6821101"}


async def _handling(api, clock, **extra) -> tuple[str, str, str]:
    """A proposal of the session sitting today (第1号), signed by both units, contact and opinion in."""
    today = clock()
    session = {"term": 18, "number": 5, "name": "衡阳县第十八届人民代表大会第五次会议",
               "opens_on": today.isoformat(), "closes_on": (today + dt.timedelta(days=3)).isoformat()}
    assert (await api.post("/api/v1/sessions", session)).status == 201
    number = await api.take_to("handling", **extra)
    lead, co = await api.link(number, "JYJ"), await api.link(number, "JTJ")
    await api.unit_ok(lead, "log_contact", method="面谈", summary="到校查看，与代表当面沟通。")
    await api.unit_ok(co, "submit_opinion", text="同意维修。")
    return number, lead, co


async def _heads(api) -> None:
    for head in ({"name": "贺新民", "title": "局长"}, {"name": "刘明辉", "title": "副局长"}):
        answer = await api.post("/api/v1/units/JYJ/heads", head)
        assert answer.status == 201 and answer.body["outcome"] == "created", answer.body


async def _replied(api, clock, **extra) -> tuple[str, str, str, int]:
    number, lead, co = await _handling(api, clock, **extra)
    await _heads(api)
    body = await api.unit_ok(lead, "reply", **LETTER)
    return number, lead, co, body["proposal"]["replies"][-1]["id"]


def _docx_text(body: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(BytesIO(body)).paragraphs)


def _has_the_letters_figures(text: str) -> None:
    for part in (TITLE, "第1号", "张三丰代表：", "经研究，已安排专项资金维修城关中学教学楼。", "暑假期间完成施工。",
                 "签发人：副局长 刘明辉", "衡教函〔2026〕12号", "承办人：欧阳琳", "联系电话：0734-6821101",
                 "抄送：县人大常委会代表工委，县政府办", "县教育局"):
        assert part in text, part


async def test_a_reply_is_signed_by_a_registered_head_chosen_on_the_unit_page(api, clock):
    number, lead, _co = await _handling(api, clock)
    await _heads(api)
    page = await (await api.client.get(lead)).text()
    assert '<select id="reply-signer" name="signer">' in page and "副局长 刘明辉" in page and "尚未登记负责人" not in page
    await api.unit_ok(lead, "reply", **{**LETTER, "signer": "副局长 刘明辉"})  # title and name name the head too
    reply = (await api.detail(number))["replies"][-1]
    assert (reply["signer"], reply["signer_title"], reply["doc_number"], reply["handler"], reply["handler_phone"]) == (
        "刘明辉", "副局长", "衡教函〔2026〕12号", "欧阳琳", "0734-6821101")
    event = (await api.detail(number))["events"][-1]
    assert event["action"] == "reply"
    assert {k: event["payload"][k] for k in ("signer", "signer_title", "doc_number", "handler", "handler_phone")} == {
        "signer": "刘明辉", "signer_title": "副局长", "doc_number": "衡教函〔2026〕12号", "handler": "欧阳琳",
        "handler_phone": "0734-6821101"}


async def test_a_signer_not_among_the_registered_heads_is_refused_and_nothing_is_recorded(api, clock):
    number, lead, _co = await _handling(api, clock)
    await _heads(api)
    before = await api.detail(number)
    answer = await api.unit_act(lead, "reply", **{**LETTER, "signer": "周局长"})
    assert answer.status == 400 and answer.body["field"] == "signer"
    assert "贺新民" in answer.message() and "刘明辉" in answer.message() and CHINESE.search(answer.message())
    form = await api.client.post(lead, data={"action": "reply", **{**LETTER, "signer": "周局长"}})
    assert form.status == 400 and "签发人应为本单位登记的负责人" in await form.text()
    after = await api.detail(number)
    assert after["state"] == "handling" and after["replies"] == [] and len(after["events"]) == len(before["events"])


async def test_a_unit_without_registered_heads_types_the_signer_and_is_asked_to_register_them(api, clock):
    number, lead, _co = await _handling(api, clock)
    page = await (await api.client.get(lead)).text()
    assert "本单位尚未登记负责人，请联系代表工委登记" in page and '<input id="reply-signer" name="signer"' in page
    await api.unit_ok(lead, "reply", **{**LETTER, "signer": "周局长"})
    assert (await api.detail(number))["replies"][-1]["signer"] == "周局长"


async def test_the_docx_letter_opens_and_carries_the_title_category_text_signer_number_handler_and_copy(
        api, clock, staff):
    number, lead, _co, reply_id = await _replied(api, clock)
    for path in (f"{lead}/replies/{reply_id}/letter.docx", f"/console/proposals/{number}/replies/{reply_id}/letter.docx"):
        response = await api.client.get(path)
        assert response.status == 200, path
        assert response.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        body = await response.read()
        document = docx.Document(BytesIO(body))
        assert document.paragraphs[0].text == "A"  # the category mark, first, at the top right
        assert document.paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
        _has_the_letters_figures(_docx_text(body))


async def test_the_printable_letter_page_carries_the_same_figures(api, clock, staff):
    number, lead, _co, reply_id = await _replied(api, clock)
    for path in (f"{lead}/replies/{reply_id}/letter", f"/console/proposals/{number}/replies/{reply_id}/letter"):
        response = await api.client.get(path)
        assert response.status == 200, path
        page = await response.text()
        _has_the_letters_figures(page)
        assert '<p class="mark"' in page and "@page{size:A4" in page and "盖章处" in page
    assert f"{lead}/replies/{reply_id}/letter" in await (await api.client.get(lead)).text()
    assert f"/console/proposals/{number}/replies/{reply_id}/letter" in await (
        await api.client.get(f"/console/proposals/{number}")).text()


async def test_a_co_unit_cannot_fetch_the_lead_units_letter_of_a_confidential_proposal(api, clock):
    _number, lead, co, reply_id = await _replied(api, clock, confidential=True)
    assert (await api.client.get(f"{lead}/replies/{reply_id}/letter")).status == 200
    for tail in ("letter", "letter.docx", "sealed.pdf"):
        response = await api.client.get(f"{co}/replies/{reply_id}/{tail}")
        assert response.status in (403, 404), tail
        text = await response.text()
        assert CHINESE.search(text) and "张三丰" not in text and "刘明辉" not in text
    refused = await api.client.post(f"{co}/replies/{reply_id}/sealed", data=_form(PDF))
    assert refused.status in (403, 404)


def _form(body: bytes, filename: str = "答复函.pdf") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", BytesIO(body), filename=filename, content_type="application/pdf")
    return form


async def _proposal_id(db, number: str) -> int:
    async with db.read() as session:
        return (await session.execute(select(Proposal.id).where(Proposal.number == number))).scalar_one()


def _kept(settings) -> list[Path]:
    return sorted((Path(settings.server.data_dir) / "letters").rglob("*.pdf"))


async def test_a_sealed_pdf_is_kept_by_its_sha256_in_the_event_log_for_staff_and_the_deputy(
        api, clock, staff, db, settings):
    number, lead, _co, reply_id = await _replied(api, clock)
    before = len((await api.detail(number))["events"])
    not_pdf = await api.client.post(f"{lead}/replies/{reply_id}/sealed", data=_form(b"GIF89a not a pdf", "x.pdf"))
    assert not_pdf.status == 400 and "只能上传 PDF 文件" in await not_pdf.text()
    assert len((await api.detail(number))["events"]) == before and _kept(settings) == []

    stored = await api.client.post(f"{lead}/replies/{reply_id}/sealed", data=_form(PDF), allow_redirects=False)
    assert stored.status == 303
    sha = hashlib.sha256(PDF).hexdigest()
    event = (await api.detail(number))["events"][-1]
    assert event["action"] == "seal_letter" and event["label"] == "上传盖章答复函"
    assert (event["payload"]["sha256"], event["payload"]["size"], event["payload"]["reply_id"]) == (sha, len(PDF), reply_id)
    assert _kept(settings) == [Path(settings.server.data_dir) / "letters" / sha[:2] / f"{sha}.pdf"]

    deputy = "/f/" + make_feedback_token(settings.server.secret_key, await _proposal_id(db, number), "D001", 30)
    for page in (lead, f"/console/proposals/{number}", deputy):
        text = await (await api.client.get(page)).text()
        assert "已上传盖章答复函（SHA-256 前 12 位" in text and sha[:12] in text, page
    for path in (f"/console/proposals/{number}/replies/{reply_id}/sealed.pdf", f"{deputy}/replies/{reply_id}/sealed.pdf",
                 f"{lead}/replies/{reply_id}/sealed.pdf"):
        response = await api.client.get(path)
        assert response.status == 200 and await response.read() == PDF, path
        assert response.content_type == "application/pdf" and response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Disposition"].startswith("attachment;")


async def test_an_oversized_upload_is_refused_in_chinese_and_nothing_is_kept(api, clock, settings):
    number, lead, _co, reply_id = await _replied(api, clock)
    before = len((await api.detail(number))["events"])
    too_big = b"%PDF-1.4\n" + b"0" * SEALED_MAX_BYTES
    response = await api.client.post(f"{lead}/replies/{reply_id}/sealed", data=_form(too_big))
    assert response.status == 413 and "不能超过 10 MB" in await response.text()
    # Sent in chunks with no length said beforehand: counted as it streams in, and cut off past the limit.
    response = await api.client.post(f"{lead}/replies/{reply_id}/sealed", data=_streamed(too_big),
                                     headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert response.status == 413 and "不能超过 10 MB" in await response.text()
    assert len((await api.detail(number))["events"]) == before and _kept(settings) == []
    assert list((Path(settings.server.data_dir) / "letters").glob(".upload-*")) == []  # no temporary file left


async def _streamed(body: bytes):
    yield (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
           b"Content-Type: application/pdf\r\n\r\n")
    for start in range(0, len(body), 1 << 20):
        yield body[start:start + (1 << 20)]
    yield b"\r\n--xyz--\r\n"


async def test_staff_register_heads_on_the_console_each_change_is_logged_and_one_who_left_cannot_sign(
        api, clock, staff):
    number, lead, _co = await _handling(api, clock)
    roster = await (await staff.get("/console/units")).text()
    assert "/console/units/JYJ/heads" in roster
    path = "/console/units/JYJ/heads"
    added = await post_form(staff, path, {"name": "贺新民", "title": "局长"})
    assert added.status == 303
    page = await (await staff.get(added.headers["Location"])).text()
    assert "已登记负责人" in page and "贺新民" in page and "标为离任" in page
    left = await post_form(staff, path, {"name": "贺新民", "active": "false"})
    assert "恢复在任" in await (await staff.get(left.headers["Location"])).text()
    listed = (await api.get("/api/v1/units/JYJ/heads")).body["items"]
    assert [(h["name"], h["title"], h["active"]) for h in listed] == [("贺新民", "局长", False)]
    history = await (await staff.get("/console/units/JYJ/history")).text()
    assert "登记单位负责人" in history and "更改单位负责人" in history
    # No head in office: the typed name stands again; with one in office, only they may sign.
    assert (await api.post("/api/v1/units/JYJ/heads", {"name": "刘明辉", "title": "副局长"})).status == 201
    refused = await api.unit_act(lead, "reply", **{**LETTER, "signer": "贺新民"})
    assert refused.status == 400 and refused.body["field"] == "signer" and "刘明辉" in refused.message()


async def test_bad_head_registrations_are_refused_in_chinese(api):
    for body, field in (({"title": "局长"}, "name"), ({"name": "贺" * 65}, "name"), ({"name": ["贺新民"]}, "name"),
                        ({"name": "贺新民", "active": "maybe"}, "active"), ({"name": "无此人", "active": False}, "name")):
        answer = await api.post("/api/v1/units/JYJ/heads", body)
        assert answer.status == 400 and answer.body.get("field") == field and CHINESE.search(answer.message()), body
    missing = await api.post("/api/v1/units/NOPE/heads", {"name": "贺新民"})
    assert missing.status == 404 and CHINESE.search(missing.message())
    assert (await api.get("/api/v1/units/JYJ/heads")).body["items"] == []
    assert (await api.post("/api/v1/units/JYJ/heads", {"name": "贺新民"}, headers={})).status == 401


async def test_a_malformed_upload_is_refused_in_chinese_never_a_500(api, clock):
    _number, lead, _co, reply_id = await _replied(api, clock)
    path = f"{lead}/replies/{reply_id}/sealed"
    for headers, body in (({"Content-Type": "multipart/form-data"}, b"%PDF-1.4"),
                          ({"Content-Type": "multipart/form-data; boundary=xyz"}, b"--abc\r\nnonsense"),
                          ({"Content-Type": "multipart/form-data; boundary=xyz"}, b"--xyz\r\n\r\n%PDF-"),
                          ({"Content-Type": "application/pdf"}, PDF)):
        response = await api.client.post(path, data=body, headers=headers)
        assert 400 <= response.status < 500 and CHINESE.search(await response.text()), (headers, body, response.status)


async def test_the_deputy_reads_the_letter_from_the_feedback_page_and_a_forged_link_opens_nothing(
        api, clock, db, settings):
    number, _lead, _co, reply_id = await _replied(api, clock)
    deputy = "/f/" + make_feedback_token(settings.server.secret_key, await _proposal_id(db, number), "D001", 30)
    page = await (await api.client.get(deputy)).text()
    assert f"{deputy}/replies/{reply_id}/letter" in page
    letter = await api.client.get(f"{deputy}/replies/{reply_id}/letter")
    assert letter.status == 200 and "建议的答复" in await letter.text()
    document = await api.client.get(f"{deputy}/replies/{reply_id}/letter.docx")
    assert document.status == 200 and document.content_type.startswith("application/vnd.openxmlformats")
    forged = await api.client.get(f"/f/not-a-token/replies/{reply_id}/letter")
    assert forged.status in (400, 403, 404) and forged.status != 500
    other = await api.client.get(f"{deputy}/replies/999999/letter")
    assert other.status == 404
