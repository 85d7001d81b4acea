"""Similar proposals on a small labelled set written for the purpose: pairs that are the same matter in other
words rank first and pass the warning threshold; decoys that share words but not the matter stay below it."""
from __future__ import annotations

import pytest

from workflow.domain.similarity import WARN_THRESHOLD

SAME = [  # (already submitted, a new draft about the same matter in other words)
    (("关于城关镇东门十字路口增设红绿灯的建议", "东门十字路口车流量大，行人过马路困难，建议增设红绿灯和斑马线。"),
     ("关于在东门路口设置交通信号灯的建议", "东门十字路口没有信号灯，学生和老人过马路很危险，请尽快设置红绿灯。")),
    (("关于改善西渡镇农村饮水安全的建议", "西渡镇部分村自来水水质差，经常停水，建议实施农村饮水安全巩固提升工程。"),
     ("关于解决西渡镇村民吃水难的建议", "西渡镇一些村子的自来水常停水、水质浑浊，希望改造供水管网，保障饮水安全。")),
    (("关于城关中学校舍维修的建议", "城关中学教学楼屋顶漏水，墙体开裂，建议尽快维修校舍。"),
     ("关于维修城关中学教学楼的建议", "城关中学的教学楼年久失修，下雨漏水，墙面有裂缝，存在安全隐患。")),
]
DECOYS = [  # share a place or a school with a draft above, not its matter
    ("关于城关镇东门农贸市场改造的建议", "东门农贸市场环境脏乱，建议提质改造，规范摊位。"),
    ("关于西渡镇发展乡村旅游的建议", "西渡镇山水资源丰富，建议打造乡村旅游线路，带动村民增收。"),
    ("关于城关中学增加体育设施的建议", "城关中学操场狭小，缺少篮球场，建议增加体育设施。"),
]
OTHERS = [
    ("关于加强农村养老服务的建议", "农村留守老人多，建议建设村级养老服务站。"),
    ("关于提高乡村医生待遇的建议", "乡村医生收入低，队伍不稳定，建议提高补助。"),
    ("关于治理河道污染的建议", "蒸水河部分河段有生活污水直排，建议加强整治。"),
    ("关于增加公交班次的建议", "县城至演陂镇公交班次少，群众出行不便。"),
    ("关于规范校外培训机构的建议", "校外培训机构收费高，建议加强监管。"),
    ("关于推进垃圾分类的建议", "县城垃圾分类设施不足，建议增设分类垃圾桶。"),
    ("关于支持油茶产业发展的建议", "油茶种植面积大但加工能力弱，建议扶持加工企业。"),
    ("关于改造老旧小区的建议", "城区老旧小区管网老化，建议纳入改造计划。"),
    ("关于加强食品安全监管的建议", "校园周边小摊贩食品安全隐患多。"),
    ("关于建设农村公路的建议", "杉木乡部分村组道路未硬化，雨天泥泞。"),
]


@pytest.fixture(params=["just submitted", "indexed"])
async def indexed(api, db, request):
    """The labelled set, as the readers see it moments after submission (the texts read directly) and
    once the indexer has indexed them (the postings): the answers are the same."""
    from workflow.usecases.text_index import index_texts

    numbers = {}
    for title, content in [a for a, _ in SAME] + DECOYS + OTHERS:
        numbers[title] = await api.submit(title=title, content=content)
    if request.param == "indexed":
        assert await index_texts(db) == len(numbers)
    return api, numbers


async def _similar(api, title: str, content: str, **params) -> list[dict]:
    answer = await api.get("/api/v1/proposals/similar", text=f"{title}\n{content}", **params)
    assert answer.status == 200, answer.body
    return answer.body["items"]


async def test_the_same_matter_in_other_words_ranks_first_and_passes_the_warning(indexed):
    api, numbers = indexed
    for (earlier, draft) in SAME:
        items = await _similar(api, *draft)
        assert items[0]["number"] == numbers[earlier[0]], (draft[0], items[:3])
        assert items[0]["score"] >= WARN_THRESHOLD, (draft[0], items[:3])


async def test_a_decoy_sharing_words_but_not_the_matter_stays_below_the_warning(indexed):
    api, numbers = indexed
    for (_earlier, draft), decoy in zip(SAME, DECOYS):
        items = await _similar(api, *draft)
        shown = {i["number"]: i["score"] for i in items}
        assert shown.get(numbers[decoy[0]], 0.0) < WARN_THRESHOLD, (draft[0], decoy[0], items[:3])


async def test_scores_are_0_to_1_best_first_the_same_text_scores_1_and_exclude_and_year_filter(indexed):
    api, numbers = indexed
    title, content = SAME[0][0]
    items = await _similar(api, title, content)
    assert items[0]["number"] == numbers[title] and items[0]["score"] == 1.0
    assert all(0 <= i["score"] <= 1 for i in items) and [i["score"] for i in items] == sorted(
        (i["score"] for i in items), reverse=True)
    assert set(items[0]) == {"number", "title", "year", "state", "state_label", "score"}
    excluded = await _similar(api, title, content, exclude=numbers[title])
    assert numbers[title] not in [i["number"] for i in excluded]
    assert await _similar(api, title, content, year="1999") == []
    missing = await api.get("/api/v1/proposals/similar")
    assert missing.status == 400 and "text" in missing.body["message"]


async def test_proposals_submitted_before_the_index_existed_are_indexed_by_the_backfill(indexed, db):
    from sqlalchemy import delete, update

    from storage.models import GramStat, Proposal, ProposalGram
    from storage.uow import UnitOfWork
    from workflow.usecases.text_index import index_missing

    api, numbers = indexed
    async with UnitOfWork(db) as session:  # as a database upgraded from before migration 0023 is
        for model in (ProposalGram, GramStat):
            await session.execute(delete(model))
        await session.execute(update(Proposal).values(indexed_digest=None))
    assert (await _similar(api, *SAME[0][1]))[0]["number"] == numbers[SAME[0][0][0]]  # read directly meanwhile
    assert await index_missing(db, batch=5) == len(numbers)
    assert (await _similar(api, *SAME[0][1]))[0]["number"] == numbers[SAME[0][0][0]]
    assert await index_missing(db) == 0


async def test_the_bot_shows_a_drafting_deputy_the_same_matter_already_proposed_and_not_a_decoy(
        indexed, aiohttp_client, settings, engine, auth):
    from tests.support.bot import bind, bot_client

    api, numbers = indexed
    _client, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await bind(_client, auth, wechat, "o_zhang", "D001")
    title, content = SAME[0][1]
    drafted = await wechat.text("o_zhang", f"提建议\n标题：{title}\n内容：{content}")
    assert "草稿已保存" in drafted.text and "已有内容相近的建议" in drafted.text, drafted.text
    assert numbers[SAME[0][0][0]] in drafted.text and numbers[DECOYS[0][0]] not in drafted.text
    other = await wechat.text("o_zhang", "提建议\n标题：关于建设县城图书馆的建议\n内容：县城没有像样的公共图书馆，建议新建一座。")
    assert "已有内容相近的建议" not in other.text, other.text


async def test_a_drafting_deputy_joins_the_same_matter_as_co_signer_instead_and_gives_up_the_draft(
        indexed, aiohttp_client, settings, engine, auth):
    from tests.support.bot import bind, bot_client

    api, numbers = indexed
    earlier = numbers[SAME[0][0][0]]
    _client, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await bind(_client, auth, wechat, "o_li", "D002")
    title, content = SAME[0][1]
    drafted = await wechat.text("o_li", f"提建议\n标题：{title}\n内容：{content}")
    assert f"加入联名 {earlier}" in drafted.text, drafted.text
    events_before = await api.events(earlier)
    joined = await wechat.text("o_li", f"加入联名 {earlier}")
    assert "已加入联名" in joined.text and "放弃" in joined.text, joined.text
    detail = await api.detail(earlier)
    assert {c["number"]: c["confirmed"] for c in detail["co_signers"]}.get("D002") is True, detail["co_signers"]
    assert len(detail["events"]) == events_before + 1 and detail["events"][-1]["action"] == "join_cosign"
    again = await wechat.text("o_li", f"加入联名 {earlier}")
    assert "已是这件建议的联名代表" in again.text and await api.events(earlier) == events_before + 1
    await wechat.text("o_li", "放弃")
    gone = await wechat.text("o_li", "确定")
    assert "已放下草稿" in gone.text, gone.text


async def test_joining_is_refused_to_the_lead_and_once_the_proposal_is_assigned(
        indexed, aiohttp_client, settings, engine, auth):
    from tests.support.bot import bind, bot_client

    api, numbers = indexed
    earlier = numbers[SAME[1][0][0]]
    _client, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await bind(_client, auth, wechat, "o_zhang", "D001")
    await bind(_client, auth, wechat, "o_li", "D002")
    own = await wechat.text("o_zhang", f"加入联名 {earlier}")
    assert "领衔代表" in own.text, own.text
    await api.ok(earlier, "accept", category="城建")
    await api.ok(earlier, "assign", lead_units=["JYJ"])
    late = await wechat.text("o_li", f"加入联名 {earlier}")
    assert "加入联名" in late.text and "已加入" not in late.text, late.text
    assert "D002" not in {c["number"] for c in (await api.detail(earlier))["co_signers"]}


async def test_a_confidential_proposal_is_never_shown_to_another_drafting_deputy(
        api, aiohttp_client, settings, engine, auth):
    from tests.support.bot import bind, bot_client

    title, content = SAME[2][0]
    secret = await api.submit(title=title, content=content, confidential=True)
    _client, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await bind(_client, auth, wechat, "o_li", "D002")
    drafted = await wechat.text("o_li", "提建议\n标题：{}\n内容：{}".format(*SAME[2][1]))
    assert "草稿已保存" in drafted.text and secret not in drafted.text, drafted.text
    staff = await api.get("/api/v1/proposals/similar", text="\n".join(SAME[2][1]))
    assert staff.body["items"][0]["number"] == secret


async def test_a_proposal_returned_revised_and_resubmitted_is_found_by_its_new_words_only(indexed, db):
    from sqlalchemy import select

    from storage.models import GramStat
    from workflow.usecases.text_index import index_texts

    api, numbers = indexed
    number = numbers[SAME[1][0][0]]
    await index_texts(db)
    async with db.read() as session:
        documents = (await session.execute(select(GramStat.df).where(GramStat.gram == ""))).scalar_one()
    assert documents == len(numbers)
    await api.ok(number, "return_for_revision", reason="请写明具体路段。")
    await api.ok(number, "revise", title="关于修缮樟树乡敬老院的建议", content="樟树乡敬老院房屋老旧漏雨，建议安排资金修缮。")
    await api.ok(number, "submit")
    for _ in ("pending", "indexed"):  # its new text read directly, then indexed in place of the old one
        assert number not in [i["number"] for i in await _similar(api, *SAME[1][1])]
        found = await _similar(api, "樟树乡敬老院修缮", "敬老院漏雨，请修缮")
        assert found[0]["number"] == number
        assert await index_texts(db) in (0, 1)
    async with db.read() as session:  # resubmitted, not a new proposal: the count of indexed proposals stays
        assert (await session.execute(select(GramStat.df).where(GramStat.gram == ""))).scalar_one() == documents
        assert (await session.execute(select(GramStat.df).where(GramStat.gram == "饮水"))).scalar_one() == 0


async def test_a_submission_leaves_its_text_to_the_indexer_which_indexes_it_without_a_new_version(api, db):
    import asyncio

    from sqlalchemy import func, select

    from storage.models import GramStat, Proposal, ProposalGram
    from workflow.usecases.text_index import keep_indexing

    number = await api.submit(title=SAME[0][0][0], content=SAME[0][0][1])

    async def row():
        async with db.read() as session:
            proposal = (await session.execute(select(Proposal).where(Proposal.number == number))).scalar_one()
            postings = (await session.execute(select(func.count()).select_from(ProposalGram)
                                              .where(ProposalGram.proposal_id == proposal.id))).scalar_one()
            documents = (await session.execute(select(GramStat.df).where(GramStat.gram == ""))).scalar()
            return proposal.version, proposal.indexed_digest, postings, documents

    version, digest, postings, documents = await row()
    assert (digest, postings, documents) == (None, 0, None)  # the action wrote no bigram
    stop = asyncio.Event()
    indexer = asyncio.create_task(keep_indexing(db, stop, interval=0.05))
    for _ in range(100):
        if (await row())[1] is not None:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await indexer
    after, digest, postings, documents = await row()
    assert digest is not None and postings > 10 and documents == 1
    assert after == version  # indexing is no change of the proposal: a page open on it is not made stale
    await api.ok(number, "accept", category="城建")  # and the next action goes through
