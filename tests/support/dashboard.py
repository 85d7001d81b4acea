"""A small year of proposals for the dashboard and export tests, built through the API and the unit
links (so through the engine), and a reader of the figures a dashboard page shows.

  2024-11-04  P6  JYJ        面谈; reply A on time, 满意 (what was done 满意 on the same form)  -> closed
  2025-01-06  P12 JYJ        电话; reply A on time; never rated: 未反馈 on both when the window closed -> closed
  2025-03-03  P1  JYJ (+JTJ co) 面谈; reply A on time (its text holds a <script>), rated on both questions:
                             reply 满意, what was done 基本满意                              -> closed
              P2  JYJ        key supervision; 电话; reply B, 不满意; again B, 基本满意; done, 不满意 -> implementing
              P3  JTJ        due 03-13; 实地调研; replied C late on 03-18, 不满意           -> rehandling
              P4  JTJ        confidential; 电话; reply D on time, not rated               -> replied
              P5  JYJ        due 03-08; signed, never replied                             -> handling (red card)
              P7  -          submitted only, title starting with "="                      -> submitted
              P8  WJJ        category 医疗; 微信; reply A on time, 满意 and 满意              -> closed
              P10 JYJ + JTJ  分办: JYJ 座谈会, reply A, JTJ 电话, reply D; JTJ rated 不满意, then JYJ
                             满意 (and 满意 on what was done)                              -> rehandling
              P11 JYJ        面谈; reply B, 满意; second answer (再次答复) A; what was done 满意 -> closed
  2025-03-18  P9  WJJ        category 医疗; assigned today, not signed                      -> assigned (yellow card)
  figures taken on 2025-03-18.

By hand, 2025: assigned 10 (P1-P5, P8-P12), lead shares 11 (P10 has two);
  replied (every lead, late too) P1-P4 P8 P10-P12 -> 8/10; on time (every lead's first reply) all but P3 -> 7/10;
  solved (every lead's newest reply A or B) P1 P2 P8 P11 (A now) P12 -> 5/10 (P10: JTJ's is D);
  reply rated by every lead P1 P2 P3 P8 P10 P11 (P12 未反馈, P4 not yet); satisfied by every lead (current
  rating) P1 P2 P8 P11 -> 4/6 (P10 is not: JTJ's 不满意 stands though JYJ's 满意 came later); 满意 only P1 P8
  P11 -> 3/6; first ratings satisfied P1 P8 P11 -> 3/6 (P2's first was 不满意); 答复未反馈 1 (P12);
  what was done rated by every lead P1 P2 P8 P11 (P10: JTJ none; P12 未反馈) -> satisfied P1 P8 P11, 3/4;
  落实未反馈 1; dual P1 P2 P8 P11 -> P1 P8 P11, 3/4; any contact: all lead shares but P5 and P9 -> 9/11;
  face to face (面谈、座谈会、实地调研) P1 P3 P10-JYJ P11 -> 4/11; overdue P5 -> 1.
Per unit: JYJ P1 P2 P5 P10 P11 P12 (6) and JTJ P3 P4 P10 (3) ranked with min 3; WJJ P8 P9 (2) not,
though WJJ has every satisfaction rate at 100%.
"""
from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from sqlalchemy import select

from storage.models import Assignment, Evaluation, Proposal, Reply
from tests.support.api import UNITS, Api
from web.keys import DB, ENGINE
from workflow.domain.definition import ACTIONS, NO_FEEDBACK
from workflow.domain.rules import Actor

SCRIPT_TEXT = '已维修完毕。<script>alert("x")</script> 谢谢代表关心。'
WJJ = {"code": "WJJ", "name": "县卫生健康局", "contact_name": "孙联络", "contact_phone": "0734-3"}
TODAY = dt.date(2025, 3, 18)
SYSTEM = Actor("system", "system", "系统")


async def handled(api: Api, lead: str = "JYJ", method: str = "面谈", **create) -> tuple[str, str]:
    """A new proposal in handling by `lead` alone, with a contact by `method` logged: (number, lead's link)."""
    number = await api.take_to("handling", lead=lead, co=None, **create)
    link = await api.link(number, lead)
    await api.unit_ok(link, "log_contact", method=method, summary=f"以{method}方式与代表沟通办理思路。")
    return number, link


async def answer_again(api: Api, number: str, link: str, category: str) -> None:
    """再次答复 while 落实中: a new reply of the same unit. Through the engine once it has the action;
    until then (issue 10: being built alongside), the row it would write."""
    if "answer_again" in ACTIONS:
        await api.unit_ok(link, "answer_again", category=category, text=f"再次答复：已改为 {category} 类。",
                          signer="周局长")
        return
    async with api.client.app[DB].write() as session, session.begin():
        proposal = (await session.execute(select(Proposal).where(Proposal.number == number))).scalar_one()
        assignment = (await session.execute(select(Assignment).where(
            Assignment.proposal_id == proposal.id, Assignment.role == "lead"))).scalar_one()
        session.add(Reply(proposal_id=proposal.id, assignment_id=assignment.id, round=proposal.round,
                          category=category, text="再次答复。", signer="周局长", on_time=True))


async def lapse_ratings(api: Api, number: str) -> None:
    """The rating window closed with nothing rated: 未反馈, recorded by the engine's lapse_rating once it
    has the action; until then (issue 10: being built alongside), the rows it would write, and the
    proposal closed as the engine would close it."""
    if "lapse_rating" in ACTIONS:
        await api.client.app[ENGINE].perform(number, "lapse_rating", SYSTEM, {})
        return
    async with api.client.app[DB].write() as session, session.begin():
        proposal = (await session.execute(select(Proposal).where(Proposal.number == number))).scalar_one()
        for reply in (await session.execute(select(Reply).where(Reply.proposal_id == proposal.id))).scalars():
            for kind in ("reply", "implementation"):
                session.add(Evaluation(proposal_id=proposal.id, reply_id=reply.id, assignment_id=reply.assignment_id,
                                       kind=kind, rating=NO_FEEDBACK, deputy_id=proposal.lead_deputy_id))
    await api.ok(number, "close", reason="评价期限届满，未反馈。")


async def build_year(api: Api, clock) -> dict[str, str]:
    """The proposals above; returns their numbers by name (P1...P12)."""
    await api.roster(units=UNITS + [WJJ])
    p: dict[str, str] = {}
    clock.today = dt.date(2024, 11, 4)
    p["P6"], link = await handled(api)
    await api.reply(link, "A")
    await api.ok(p["P6"], "evaluate_reply", rating="satisfied", implementation_rating="satisfied")

    clock.today = dt.date(2025, 1, 6)
    p["P12"], link = await handled(api, method="电话")
    await api.reply(link, "A")

    clock.today = dt.date(2025, 3, 3)  # P12's rating window (15 working days from 01-06) has closed
    await lapse_ratings(api, p["P12"])
    p["P1"] = await api.take_to("handling")
    lead = await api.link(p["P1"], "JYJ")
    await api.unit_ok(lead, "log_contact", method="面谈", summary="到校查看。")
    await api.unit_ok(await api.link(p["P1"], "JTJ"), "submit_opinion", text="同意。")
    await api.reply(lead, "A", text=SCRIPT_TEXT)
    await api.ok(p["P1"], "evaluate_reply", rating="satisfied", implementation_rating="basically_satisfied")

    p["P2"] = await api.take_to("accepted", co=None, title="关于修建乡村公路的建议")
    await api.ok(p["P2"], "mark_key", leader="刘副县长")
    await api.take_to("handling", number=p["P2"], co=None)
    link = await api.link(p["P2"], "JYJ")
    await api.unit_ok(link, "log_contact", method="电话", summary="电话沟通。")
    await api.reply(link, "B")
    await api.ok(p["P2"], "evaluate_reply", rating="unsatisfied", reason="没有资金来源。")
    await api.reply(link, "B", text="B 类答复：资金已落实，列入今年计划。")
    await api.ok(p["P2"], "evaluate_reply", rating="basically_satisfied")
    await api.unit_ok(link, "report_progress", text="路基已完成。", percent=100)
    await api.ok(p["P2"], "evaluate_implementation", rating="unsatisfied", reason="工程迟迟未动工。")

    p["P3"], p3_link = await handled(api, lead="JTJ", method="实地调研", due_date="2025-03-13")
    p["P4"], link = await handled(api, lead="JTJ", method="电话", confidential=True,
                                  title="关于某村土地纠纷的建议（保密）")
    await api.reply(link, "D")
    p["P5"] = await api.take_to("handling", co=None, due_date="2025-03-08")
    p["P7"] = await api.submit(title="=1+1 关于尚未交办的建议")

    p["P8"] = await api.submit(title="关于乡镇卫生院配备救护车的建议")
    await api.ok(p["P8"], "accept", category="医疗")
    await handled(api, number=p["P8"], lead="WJJ", method="微信")
    await api.reply(await api.link(p["P8"], "WJJ"), "A")
    await api.ok(p["P8"], "evaluate_reply", rating="satisfied", implementation_rating="satisfied")

    await _fenban_second_answer_and_today(api, clock, p, p3_link)
    return p


async def _fenban_second_answer_and_today(api: Api, clock, p: dict[str, str], p3_link: str) -> None:
    """P10 (分办), P11 (a second answer B→A), then today's P3 rating and P9."""
    # 分办: two lead units answer apart; JTJ's 不满意 comes first, JYJ's 满意 after it
    p["P10"] = await api.take_to("accepted", co=None, title="关于城关镇学校周边道路整治的建议")
    await api.ok(p["P10"], "assign", lead_units=["JYJ", "JTJ"])
    links = {unit: await api.link(p["P10"], unit) for unit in ("JYJ", "JTJ")}
    for link in links.values():
        await api.unit_ok(link, "sign")
    for unit, method, category in (("JYJ", "座谈会", "A"), ("JTJ", "电话", "D")):
        await api.unit_ok(links[unit], "log_contact", method=method, summary="沟通。")
        await api.reply(links[unit], category)
    await api.ok(p["P10"], "evaluate_reply", unit="JTJ", rating="unsatisfied", reason="道路归交通部门管。")
    await api.ok(p["P10"], "evaluate_reply", unit="JYJ", rating="satisfied", implementation_rating="satisfied")

    p["P11"], link = await handled(api, title="关于增设乡村公交站点的建议")
    await api.reply(link, "B")
    await api.ok(p["P11"], "evaluate_reply", rating="satisfied")
    await answer_again(api, p["P11"], link, "A")
    await api.ok(p["P11"], "evaluate_implementation", rating="satisfied")

    clock.today = TODAY
    await api.reply(p3_link, "C", promise_date="2025-12-31")
    await api.ok(p["P3"], "evaluate_reply", rating="unsatisfied", reason="答复没有时间表。")
    p["P9"] = await api.submit(title="关于村卫生室人员待遇的建议")
    await api.ok(p["P9"], "accept", category="医疗")
    await api.ok(p["P9"], "assign", lead_units=["WJJ"])


class FigureReader(HTMLParser):
    """{scope: {figure: value}} from a dashboard page's data-scope / data-figure / data-value attributes."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.figures: dict[str, dict[str, str]] = {}
        self.ranks: dict[str, str] = {}

    VOID = ("br", "hr", "img", "input", "meta", "link")

    def handle_starttag(self, tag, attrs, closed=False):
        attrs = dict(attrs)
        scope = attrs.get("data-scope")
        if tag not in self.VOID and not closed:
            self.stack.append((tag, scope))
        current = next((s for _, s in reversed(self.stack) if s), None)
        if scope and scope.startswith("unit:"):
            self.ranks[scope[5:]] = attrs.get("data-rank", "")
        if "data-figure" in attrs and current:
            self.figures.setdefault(current, {})[attrs["data-figure"]] = attrs.get("data-value", "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if tag not in (t for t, _ in self.stack):
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def read_figures(html: str) -> FigureReader:
    reader = FigureReader()
    reader.feed(html)
    return reader


def as_text(value) -> str:
    """How a figure of the JSON API appears in a data-value attribute."""
    return "" if value is None else str(value)
