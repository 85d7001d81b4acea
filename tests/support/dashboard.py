"""A small year of proposals for the dashboard and export tests, built through the API and the unit
links (so through the engine), and a reader of the figures a dashboard page shows.

  2024-11-04  P6  JYJ        reply A on time, 满意                                         -> closed
  2025-03-03  P1  JYJ (+JTJ co) reply A on time (its text holds a <script>), 满意            -> closed
              P2  JYJ        key supervision; reply B, 基本满意; implementation 不满意     -> implementing
              P3  JTJ        due 03-13; contact logged; replied C late on 03-18, 不满意    -> rehandling
              P4  JTJ        confidential; reply D on time, not rated                     -> replied
              P5  JYJ        due 03-08; signed, never replied                             -> handling (red card)
              P7  -          submitted only, title starting with "="                      -> submitted
              P8  WJJ        category 医疗; reply A on time, 满意                            -> closed
  2025-03-18  P9  WJJ        category 医疗; assigned today, not signed                      -> assigned (yellow card)
  figures taken on 2025-03-18.

By hand, 2025: assigned 7 (P1-P5, P8, P9); replied 5 (P1-P4, P8); on time 4 (not P3) -> 4/7;
reply ratings P1 满 P2 基本 P3 不 P8 满 -> 3/4; implementation P1 满 P2 不 P8 满 -> 2/3; dual P1 P8 of
P1 P2 P8 -> 2/3; solved P1 P2 P8 of 5 -> 3/5; contact P1 P2 P3 P4 P8 of 7 leads -> 5/7; overdue P5 -> 1.
Per unit: JYJ P1 P2 P5 (3: ranked with min 3); JTJ P3 P4 and WJJ P8 P9 (2 each: not ranked with
min 3, though WJJ has every rate at 100%).
"""
from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from tests.support.api import UNITS, Api

SCRIPT_TEXT = '已维修完毕。<script>alert("x")</script> 谢谢代表关心。'
WJJ = {"code": "WJJ", "name": "县卫生健康局", "contact_name": "孙联络", "contact_phone": "0734-3"}
TODAY = dt.date(2025, 3, 18)


async def build_year(api: Api, clock) -> dict[str, str]:
    """The proposals above; returns their numbers by name (P1...P9)."""
    await api.roster(units=UNITS + [WJJ])
    p: dict[str, str] = {}
    clock.today = dt.date(2024, 11, 4)
    p["P6"] = await api.take_to("replied", co=None, category="A")
    await api.ok(p["P6"], "evaluate_reply", rating="satisfied")

    clock.today = dt.date(2025, 3, 3)
    p["P1"] = await api.take_to("handling")
    lead = await api.link(p["P1"], "JYJ")
    await api.unit_ok(lead, "log_contact", method="面谈", summary="到校查看。")
    await api.unit_ok(await api.link(p["P1"], "JTJ"), "submit_opinion", text="同意。")
    await api.reply(lead, "A", text=SCRIPT_TEXT)
    await api.ok(p["P1"], "evaluate_reply", rating="satisfied")

    p["P2"] = await api.take_to("accepted", co=None, title="关于修建乡村公路的建议")
    await api.ok(p["P2"], "mark_key", leader="刘副县长")
    await api.take_to("replied", number=p["P2"], co=None, category="B")
    await api.ok(p["P2"], "evaluate_reply", rating="basically_satisfied")
    await api.ok(p["P2"], "evaluate_implementation", rating="unsatisfied", reason="工程迟迟未动工。")

    p["P3"] = await api.take_to("handling", lead="JTJ", co=None, due_date="2025-03-13")
    p3_link = await api.link(p["P3"], "JTJ")
    await api.unit_ok(p3_link, "log_contact", method="实地调研", summary="现场查看。")
    p["P4"] = await api.take_to("replied", lead="JTJ", co=None, category="D", confidential=True,
                                title="关于某村土地纠纷的建议（保密）")
    p["P5"] = await api.take_to("handling", co=None, due_date="2025-03-08")
    p["P7"] = await api.submit(title="=1+1 关于尚未交办的建议")

    p["P8"] = await api.submit(title="关于乡镇卫生院配备救护车的建议")
    await api.ok(p["P8"], "accept", category="医疗")
    await api.take_to("replied", number=p["P8"], lead="WJJ", co=None, category="A")
    await api.ok(p["P8"], "evaluate_reply", rating="satisfied")

    clock.today = TODAY
    await api.reply(p3_link, "C", promise_date="2025-12-31")
    await api.ok(p["P3"], "evaluate_reply", rating="unsatisfied", reason="答复没有时间表。")
    p["P9"] = await api.submit(title="关于村卫生室人员待遇的建议")
    await api.ok(p["P9"], "accept", category="医疗")
    await api.ok(p["P9"], "assign", lead_units=["WJJ"])
    return p


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
