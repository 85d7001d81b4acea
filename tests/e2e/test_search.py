"""Full-text search through HTTP (docs/search.md): GET /api/v1/proposals/search and /console/search find
proposals by two-character and longer words of their title and content, a deputy's or a unit's name and
a reply's words, with the filters, paged; bad queries are refused in Chinese, never a 500."""
from __future__ import annotations

import pytest

from tests.support.api import assert_bilingual  # noqa: F401 (the helpers' module)

ROAD = ("关于城关镇东门十字路口增设红绿灯的建议", "东门十字路口车流量大，行人过马路困难，建议增设红绿灯和斑马线。")
WATER = ("关于改善西渡镇农村饮水安全的建议", "西渡镇部分村自来水水质差，经常停水，建议实施G107沿线供水工程。")
SCHOOL = ("关于城关中学校舍维修的建议", "城关中学教学楼屋顶漏水，墙体开裂，建议尽快维修校舍。")


@pytest.fixture(params=["just submitted", "indexed"])
async def corpus(api, db, request):
    """Searched moments after submission (the texts read directly) and once the indexer has run: the same."""
    from workflow.usecases.text_index import index_texts

    numbers = {"road": await api.submit(title=ROAD[0], content=ROAD[1]),
               "water": await api.submit(lead="D002", title=WATER[0], content=WATER[1])}
    # handled by 县教育局 with 县交通运输局; the reply says "B 类答复：已列入今年计划。"
    numbers["school"] = await api.take_to("replied", title=SCHOOL[0], content=SCHOOL[1])
    if request.param == "indexed":
        assert await index_texts(db) == 3
    return api, numbers


async def _search(api, **params) -> dict:
    answer = await api.get("/api/v1/proposals/search", **params)
    assert answer.status == 200, answer.body
    return answer.body


async def _numbers(api, **params) -> set[str]:
    return {i["number"] for i in (await _search(api, **params))["items"]}


async def test_two_character_and_longer_words_of_title_and_content(corpus):
    api, n = corpus
    assert await _numbers(api, q="城关") == {n["road"], n["school"]}
    assert await _numbers(api, q="红绿灯") == {n["road"]}
    assert await _numbers(api, q="十字路口车流量") == {n["road"]}
    assert await _numbers(api, q="路口红绿") == set()  # its bigrams are all there, the words are not
    assert await _numbers(api, q="城关 漏水") == {n["school"]}  # every word, anywhere
    assert await _numbers(api, q="g107") == {n["water"]}  # a Latin/digit word, whole, any case
    body = await _search(api, q="斑马线")
    item = body["items"][0]
    assert body["total"] == 1 and item["title"] == ROAD[0] and item["lead_deputy"] == "张三丰"
    assert "斑马线" in item["snippet"] and item["where"] == ["内容"] and item["state_label"]


async def test_a_deputys_name_and_a_units_name(corpus):
    api, n = corpus
    assert await _numbers(api, q="李四海") == {n["water"]}
    assert await _numbers(api, q="张三丰") == {n["road"], n["school"]}
    found = await _search(api, q="交通运输局")
    assert {i["number"] for i in found["items"]} == {n["school"]}
    assert "承办单位" in found["items"][0]["where"] and "县教育局" in found["items"][0]["units"]


async def test_a_replys_words_are_found_as_soon_as_the_reply_is_given(corpus, db):
    from workflow.usecases.text_index import index_missing, index_texts

    api, n = corpus
    found = await _search(api, q="今年计划")  # indexed in the reply's own transaction
    assert {i["number"] for i in found["items"]} == {n["school"]}
    assert found["items"][0]["where"] == ["答复"] and "今年计划" in found["items"][0]["snippet"]
    await index_texts(db)  # the texts (the indexer's work), then nothing: no reply is left to index
    assert await index_missing(db) == 0


async def test_filters(corpus):
    api, n = corpus
    assert await _numbers(api, q="建议", state="replied") == {n["school"]}
    assert await _numbers(api, q="建议", unit="JYJ") == {n["school"]}
    assert await _numbers(api, q="建议", year="1999") == set()
    assert await _numbers(api, q="建议", key="1") == set()
    assert await _numbers(api, q="建议", key="0") == set(n.values())
    assert await _numbers(api, q="建议", category="教育") == {n["school"]}
    assert await _numbers(api, q="建议", kind="interim") == set()  # no session registered: no kind either


async def test_paging_newest_first(api):
    numbers = [await api.submit(title=f"关于增设路灯的建议（{i}）", content="夜间无路灯。") for i in range(23)]
    first = await _search(api, q="路灯")
    second = await _search(api, q="路灯", page="2")
    assert first["total"] == second["total"] == 23 and first["page_size"] == 20
    assert [i["number"] for i in first["items"] + second["items"]] == numbers[::-1]
    assert (await _search(api, q="路灯", page="3"))["items"] == []


async def test_one_character_falls_back_to_like(corpus):
    api, n = corpus
    found = await _search(api, q="水")
    assert {i["number"] for i in found["items"]} == {n["water"], n["school"]} and found["capped"] is False
    assert await _numbers(api, q="海") == {n["water"]}  # 李四海's
    assert await _numbers(api, q="城关 水") == {n["school"]}


@pytest.mark.parametrize("params", [{"q": "，。！？ ……"}, {"q": "x" * 5000}, {"q": ""}, {}, {"q": "城关", "page": "0"},
                                    {"q": "城关", "state": "nonsense"}, {"q": "城关", "key": "maybe"},
                                    {"q": "城关", "year": "20x6"}, {"q": "城关", "kind": "other"}, {"q": "城关", "unit": "J\x00"},
                                    {"q": " ".join("甲乙丙丁戊己庚辛壬癸")}])
async def test_bad_queries_are_refused_in_chinese(api, params):
    answer = await api.get("/api/v1/proposals/search", **params)
    assert answer.status == 400, answer.body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.body["message"]), answer.body


async def test_odd_but_harmless_queries(corpus):
    api, n = corpus
    for q, expected in (("' or 1=1 --", set()), ("ＧＩＯ７", set()), ("乀乁", set()), ("_城", {n["road"], n["school"]}),
                        ("城%关", {n["road"], n["school"]}), ("100%", set())):
        assert await _numbers(api, q=q) == expected, q  # LIKE's wildcards are only separators here
    assert (await api.get("/api/v1/proposals/search", q="%")).status == 400


async def test_the_console_search_page(corpus, staff):
    _, n = corpus
    page = await staff.get("/console/search", params={"q": "红绿灯"})
    text = await page.text()
    assert page.status == 200 and ROAD[0] in text and n["road"] in text and SCHOOL[0] not in text
    filtered = await (await staff.get("/console/search", params={"q": "城关", "state": "replied"})).text()
    assert SCHOOL[0] in filtered and ROAD[0] not in filtered
    bad = await staff.get("/console/search", params={"q": "！！"})
    assert bad.status == 400 and "检索词中没有汉字" in await bad.text()
    assert (await staff.get("/console/search")).status == 200
    assert 'action="/console/search"' in await (await staff.get("/console/proposals")).text()


async def test_the_openapi_document_describes_it(api):
    paths = (await api.get("/api/v1/openapi.json")).body["paths"]
    assert "/api/v1/proposals/search" in paths and "get" in paths["/api/v1/proposals/search"]
