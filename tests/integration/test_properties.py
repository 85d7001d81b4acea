"""Property test: random actions by random actors, through the real Engine on the real test database,
never break the invariants of the workflow.

Each hypothesis example empties the database, seeds a small roster, creates one proposal and then runs
a random sequence of steps. A step is an action (usually one the engine lists as allowed for the actor,
sometimes any action, now and then an unknown one) by a random actor, with plausible or wrong
parameters, or a jump of the clock (to cross adjustment windows and co-unit deadlines). After every
step:

- the proposal's state is one of STATES, and a final state is never left;
- the events hash chain verifies (workflow.usecases.audit.verify_all);
- a successful action wrote exactly one event, raised proposal.version, and reports the stored state;
- a refused action (WorkflowError) changed no row of any table;
- in a final state nobody is offered any action and every action is refused;
- an action offered by allowed_actions, given valid parameters, is not refused with NotAllowed.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage import repositories as repo
from storage.db import Database
from storage.models import Base, Deputy, Event, Unit
from tests.support.cards import assert_cards_agree
from workflow.domain.definition import ACTIONS, FINAL_STATES, REFERRAL_REASONS, STATES
from workflow.domain.errors import NotAllowed, WorkflowError
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.readmodels.lead_facts import check_facts
from workflow.usecases.audit import verify_all

START = dt.date(2025, 3, 10)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
DEPUTIES = [("D1", "张三"), ("D2", "李四"), ("D3", "王五")]
UNIT_CODES = ["JYJ", "JTJ", "CZJ", "NYJ"]
UNITS = dict(zip(UNIT_CODES, ["县教育局", "县交通运输局", "县财政局", "县农业农村局"]))
ACTOR_KINDS = ["lead", "co_signer", "other_deputy", "staff", "viewer", "unit0", "unit1", "unit2", "unit3"]
CLOCK_JUMPS = [1, 3, 11, 32, 95]
EXITS = {"close", "withdraw", "refer"}
FORWARD = {"submit", "accept", "assign", "sign", "log_contact", "submit_opinion", "reply", "evaluate_reply",
           "report_progress", "evaluate_implementation"}


class Clock:
    def __init__(self, today: dt.date):
        self.today = today

    def __call__(self) -> dt.date:
        return self.today


# ------------------------------------------------------------------ parameters, plausible and wrong
def _live(proposal, roles=("lead", "co"), states=None) -> list[str]:
    return [a.unit.code for a in proposal.assignments if a.role in roles
            and a.state not in ("reassigned", "done", "advised") and (states is None or a.state in states)]


def _free_units(proposal) -> list[str]:
    taken = set(_live(proposal, roles=("lead", "co", "consult")))
    return [c for c in UNIT_CODES if c not in taken] or ["NYJ"]


def param_choices(action: str, proposal, today: dt.date) -> tuple[list[dict], list[dict]]:
    """(valid, wrong) parameter sets for `action` on `proposal` now."""
    later = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    asking = _live(proposal, states=("adjustment_requested",)) or ["JYJ"]
    leads_open = _live(proposal, roles=("lead",), states=("pending", "signed", "rehandling")) or ["JYJ"]
    replied = _live(proposal, roles=("lead",), states=("replied",)) or ["JYJ"]
    co_units = _live(proposal, roles=("co",), states=("pending", "signed"))
    extending = [a.unit.code for a in proposal.assignments if a.extension_requested_due is not None] or ["JYJ"]
    rating = [{"rating": "satisfied"}, {"rating": "basically_satisfied"}, {"rating": "满意"},
              {"rating": "unsatisfied", "reason": "问题没有解决"}]
    table = {
        "revise": ([{"title": "关于改善农村道路的建议"}, {"content": "建议修缮县道", "category": "城建"}],
                   [{}, {"title": "长" * 300}]),
        "request_consultation": ([{}, {"question": "是否属于县级事权？", "unit": "JTJ"}], [{"unit": "NOPE"}]),
        "give_advice": ([{"advice": "请补充调研数据"}], [{}]),
        "confirm_cosign": ([{}], []), "join_cosign": ([{}], []),
        "submit": ([{}], []),
        "withdraw": ([{"reason": "已解决", "confirm": True}], [{}, {"reason": "已解决"}, {"reason": "重复", "confirm": 0}]),
        "consent_withdrawal": ([{}], []), "refuse_withdrawal": ([{}, {"reason": "问题仍需办理"}], []),
        "return_for_revision": ([{"reason": "内容不够具体"}], [{}]),
        "refer": ([{"reason": REFERRAL_REASONS[-1], "disposition": "作代表来信处理", "note": "来信转交"}],
                  [{"reason": "随便", "disposition": "退回代表"}, {"reason": REFERRAL_REASONS[1]}, {}]),
        "accept": ([{"category": "教育"}, {"category": "城建"}], [{"category": "火星"}, {}]),
        "assign": ([{"lead_units": ["JYJ"], "co_units": ["JTJ"]}, {"lead_units": ["JYJ", "JTJ"]},
                    {"lead_units": ["CZJ"], "co_units": ["JTJ", "NYJ"], "due_date": later(60)},
                    {"lead_units": "JYJ"}],
                   [{"lead_units": ["NOPE"]}, {"lead_units": ["JYJ"], "co_units": ["JYJ"]},
                    {"lead_units": ["JYJ"], "due_date": later(-1)}, {"lead_units": ["JYJ", "JYJ"]}, {}]),
        "sign": ([{}], []),
        "request_adjustment": ([{"reason": "不属于本单位职责"}], [{}]),
        "reassign": ([{"unit": code, "to_unit": to} for code in asking[:1] for to in _free_units(proposal)[:2]]
                     + [{"unit": asking[0], "to_unit": co, "keep_as_co": True} for co in co_units[:1]],
                     [{"unit": "NOPE", "to_unit": "NYJ"}, {"unit": asking[0], "to_unit": asking[0]}, {}]),
        "reject_adjustment": ([{"unit": asking[0], "reason": "职责明确，请继续办理"}], [{"unit": asking[0]}]),
        "log_contact": ([{"method": "电话", "summary": "与代表电话沟通办理思路"},
                         {"method": "面谈", "summary": "上门走访", "contacted_on": today.isoformat()}],
                        [{"method": "电话", "summary": "沟通", "contacted_on": later(5)}, {"method": "电话"}]),
        "submit_opinion": ([{"text": "建议主办单位统筹安排资金"}], [{}]),
        "extend_deadline": ([{"unit": leads_open[0], "due_date": later(20), "reason": "需多部门协调",
                              "explained_to_deputy": True}],
                            [{"due_date": later(400), "reason": "拖延", "explained_to_deputy": True},
                             {"due_date": "明天", "reason": "x"},
                             {"unit": leads_open[0], "due_date": later(20), "reason": "未说明", "explained_to_deputy": False}]),
        "request_extension": ([{"due_date": later(120), "reason": "需跨年度安排资金", "explained_to_deputy": True}],
                              [{"due_date": later(120), "reason": "未说明"}, {"due_date": later(-1), "reason": "x",
                                                                             "explained_to_deputy": True}]),
        "approve_extension": ([{}, {"unit": extending[0]}], [{"due_date": later(400)}]),
        "refuse_extension": ([{"unit": extending[0], "reason": "请按期答复"}], [{"unit": extending[0]}]),
        "reply": ([{"category": "A", "text": "已完成修缮", "signer": "刘局长"},
                   {"category": "B", "text": "已列入年度计划", "signer": "刘局长", "promise_date": later(90)},
                   {"category": "C", "text": "受资金限制", "signer": "刘局长", "promise_date": later(300)},
                   {"category": "d", "text": "留作参考", "signer": "刘局长"}],
                  [{"category": "B", "text": "列入计划", "signer": "刘局长"},
                   {"category": "C", "text": "以后解决", "signer": "刘局长", "promise_date": later(-3)},
                   {"category": "Z", "text": "?", "signer": "?"}, {"category": "A"}]),
        "mark_key": ([{"leader": "副县长 赵六", "committee": "财经工委"}], [{}]),
        "close": ([{"reason": "代表任期届满"}], [{}]), **_corrections(proposal), **_grouping(),
        **_after_the_reply(replied, rating, later),
    }
    return table[action]


def _grouping() -> dict:
    """并案办理 needs other proposals: alone, a member can only be unknown (400), never a crash."""
    return {"combine": ([{"members": ["2099-999"]}], [{}, {"members": []}]),
            "uncombine": ([{"member": "2099-999"}], [{}])}


def _corrections(proposal) -> dict:
    """(valid, wrong) parameter sets of staff's corrections (no session is registered in these runs)."""
    return {"correct_session": ([{"origin": "proposal" if proposal.origin == "motion" else "motion"}],
                                [{}, {"kind": "大会"}, {"session": "999"}, {"origin": proposal.origin}])}


def _after_the_reply(replied: list[str], rating: list[dict], later) -> dict:
    """(valid, wrong) parameter sets of the actions from the reply on: ratings, follow-up, decisions."""
    return {
        "evaluate_reply": (rating + [{"rating": "satisfied", "unit": code} for code in replied[:2]]
                           + [{"attitude": "满意", "rating": "basically_satisfied", "contact_method": "电话",
                               "opinion": "请按计划施工", "form_date": later(0)}],
                           [{"rating": "unsatisfied"}, {"rating": "很好"}, {"rating": "satisfied", "unit": "NOPE"},
                            {"rating": "satisfied", "opinion": "缺办理态度"},
                            {"attitude": "satisfied", "rating": "satisfied", "form_date": later(1)},
                            {"attitude": "satisfied", "rating": "satisfied", "contact_method": "飞鸽"}]),
        "report_progress": ([{"text": "已完成一半", "percent": 50}, {"text": "完成", "percent": "100%"}],
                            [{"text": "超额", "percent": 150}, {"text": "x", "percent": "许多"}]),
        "evaluate_implementation": (rating, [{"rating": "unsatisfied", "reason": "  "}]),
        "answer_again": ([{"category": "A", "text": "已全部解决", "signer": "刘局长"},
                          {"category": "B", "text": "调整计划", "signer": "刘局长", "promise_date": later(60)}],
                         [{"category": "B", "text": "调整计划", "signer": "刘局长"}, {"category": "A"}]),
        "decide": ([{"decision": "face_to_face", "text": "组织当面协商"},
                    {"decision": "key_supervision", "text": "列为重点督办", "leader": "副县长 赵六"},
                    {"decision": "close", "text": "已作说明，办结"}],
                   [{"decision": "key_supervision", "text": "督办"}, {"decision": "随便", "text": "x"}, {}]),
        "lapse_rating": ([{}], []),
        "open_implementation_rating": ([{}], []),
    }


# ------------------------------------------------------------------ the run of one example
class Run:
    def __init__(self, data, app_settings):
        self.data, self.settings = data, app_settings
        self.clock = Clock(START)
        self.db = Database(app_settings.database_url())
        self.engine = Engine(self.db, app_settings, clock=self.clock)
        self.proposal_id = 0
        self.log: list[str] = []

    def draw(self, strategy, label: str):
        return self.data.draw(strategy, label=label)

    async def seed(self) -> None:
        await self.db.truncate_all()
        async with self.db.write() as session:
            async with session.begin():
                session.add_all([Deputy(number=n, name=name) for n, name in DEPUTIES])
                session.add_all([Unit(code=c, name=name) for c, name in UNITS.items()])
        by_staff = self.draw(st.booleans(), "entered by staff")
        creator = Actor("staff", "wang", "王干事", role="staff") if by_staff else Actor("deputy", "D1", "张三")
        result = await self.engine.create_proposal(
            creator, "D1", "关于改善农村道路的建议", "县道年久失修", co_signers=["D2"],
            submit=self.draw(st.booleans(), "submitted at once"))
        self.proposal_id = result.proposal.id

    async def load(self):
        async with self.db.read() as session:
            return await repo.proposal_by_id(session, self.proposal_id)

    async def counts(self) -> dict[str, int]:
        tables = Base.metadata.sorted_tables
        query = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables])
        async with self.db.read() as session:
            return dict((await session.execute(query)).one()._mapping)

    def actor(self, kind: str, proposal):
        """An actor of `kind`, and for a unit link the assignment it is scoped to."""
        if kind in ("lead", "co_signer", "other_deputy"):
            number, name = DEPUTIES[["lead", "co_signer", "other_deputy"].index(kind)]
            return Actor("deputy", number, name), None
        if kind in ("staff", "viewer"):
            return Actor("staff", kind, kind, role="staff" if kind == "staff" else "viewer"), None
        assignments = sorted(proposal.assignments, key=lambda a: a.id)
        if not assignments:
            return Actor("unit", "JYJ", "县教育局", assignment_id=10**6), None
        a = assignments[int(kind[-1]) % len(assignments)]
        return Actor("unit", a.unit.code, a.unit.name, assignment_id=a.id), a

    async def step(self, number: int, proposal) -> None:
        if self.draw(st.integers(0, 9), "clock?") == 0:
            days = self.draw(st.sampled_from(CLOCK_JUMPS), "days")
            self.clock.today += dt.timedelta(days=days)
            self.log.append(f"{number}: clock +{days} -> {self.clock.today}")
            return
        offers = {}
        for kind in ACTOR_KINDS:
            actor, link = self.actor(kind, proposal)
            offers[kind] = (actor, link, self.engine.allowed_actions(proposal, actor, link))
            assert set(offers[kind][2]) <= set(ACTIONS)
        pairs = [(kind, action) for kind, (_, _, allowed) in offers.items() for action in allowed]
        forward = [(kind, action) for kind, action in pairs if action in FORWARD
                   and not (action == "log_contact" and (offers[kind][1] is None or offers[kind][1].contact_logged))]
        onward = [(kind, action) for kind, action in pairs if action not in EXITS]
        pick = self.draw(st.integers(0, 19), "pick")
        if pairs and pick < 15:
            # Mostly what the engine offers, preferring the way forward and rarely an exit, so proposals get far.
            pool = (forward if pick < 10 else onward if pick < 14 else pairs) or onward or pairs
            kind, action = self.draw(st.sampled_from(pool), "offered")
        else:
            kind = self.draw(st.sampled_from(ACTOR_KINDS), "actor")
            action = self.draw(st.sampled_from(sorted(ACTIONS)), "any action") if pick < 19 else "fly_to_the_moon"
        actor, _link, allowed = offers[kind]
        valid, wrong = param_choices(action, proposal, self.clock.today) if action in ACTIONS else ([{}], [])
        use_valid = not wrong or self.draw(st.integers(0, 4), "params valid?") > 0
        params = dict(self.draw(st.sampled_from(valid if use_valid else wrong), "params"))
        await self.act(number, proposal, actor, action, params, allowed)

    async def act(self, number, before, actor, action, params, allowed) -> None:
        counts = await self.counts()
        where = f"step {number}: {actor.kind}:{actor.id} {action} {params} in {before.state}"
        try:
            result = await self.engine.perform(before.ref, action, actor, params)
        except WorkflowError as exc:
            self.log.append(f"{where} -> refused {type(exc).__name__}: {exc.message}")
            after = await self.load()
            assert (after.state, after.version) == (before.state, before.version), where
            assert await self.counts() == counts, f"{where}: a refused action changed rows"
            # Offered means open now: only the parameters can be wrong then, and that is a 400, not a 409
            # (unless they name a unit, which allowed_actions cannot foresee).
            offered = action in allowed and not ({"unit", "to_unit"} & set(params))
            assert not (offered and isinstance(exc, NotAllowed)), \
                f"{where}: offered by allowed_actions {allowed} but refused: {exc.message}"
            assert CHINESE.search(exc.message) and "已已" not in exc.message, f"{where}: message {exc.message!r}"
            return
        self.log.append(f"{where} -> {result.to_state}")
        assert action in allowed, f"{where}: succeeded but allowed_actions offered only {allowed}"
        assert before.state not in FINAL_STATES, f"{where}: an action succeeded in a final state"
        after = await self.load()
        assert after.state in STATES, where
        assert after.state == result.to_state == result.proposal.state, where
        assert result.from_state == before.state, where
        assert after.version > before.version, f"{where}: version did not increase"
        now = await self.counts()
        assert now["events"] == counts["events"] + 1, f"{where}: {now['events'] - counts['events']} events"
        assert result.event.seq == after.event_count == before.event_count + 1, where
        assert result.event.action == action and result.event.to_state == after.state, where

    async def check(self):
        """The invariants that hold between steps; returns the proposal as stored now."""
        problems, checked = await verify_all(self.db)
        assert checked == 1 and not problems, [str(p) for p in problems]
        proposal = await self.load()
        assert proposal.state in STATES
        async with self.db.read() as session:
            seqs = list((await session.execute(
                select(Event.seq).where(Event.proposal_id == self.proposal_id).order_by(Event.id))).scalars())
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == proposal.event_count
        facts = await check_facts(self.db, self.clock.today)  # the dashboard's rows: current and true after each step
        assert facts.ok and facts.stale == [], (facts.stale, facts.wrong)
        for ahead in (0, 6, 40):  # the dashboard's cards, counted in SQL, are the reminders' deadlines
            await assert_cards_agree(self.db, self.settings, self.clock.today + dt.timedelta(days=ahead))
        if proposal.state in FINAL_STATES:
            for kind in ACTOR_KINDS:
                actor, link = self.actor(kind, proposal)
                assert self.engine.allowed_actions(proposal, actor, link) == [], (kind, proposal.state)
        return proposal

    async def run(self, steps: int) -> None:
        try:
            await self.seed()
            proposal = await self.check()
            for number in range(steps):
                await self.step(number, proposal)
                previous, proposal = proposal.state, await self.check()
                assert previous not in FINAL_STATES or proposal.state == previous, "a final state was left"
            await self.try_everything_if_final()
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n" + "\n".join(self.log[-25:])) from None
        finally:
            await self.db.dispose()

    async def try_everything_if_final(self) -> None:
        proposal = await self.load()
        if proposal.state not in FINAL_STATES:
            return
        counts = await self.counts()
        for action in ACTIONS:
            for kind in ("lead", "staff", "unit0"):
                actor, _ = self.actor(kind, proposal)
                valid, _wrong = param_choices(action, proposal, self.clock.today)
                try:
                    await self.engine.perform(proposal.ref, action, actor, valid[0])
                except WorkflowError:
                    continue
                raise AssertionError(f"{action} by {kind} succeeded in final state {proposal.state}")
        assert await self.counts() == counts


@hypothesis_settings(
    max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), steps=st.integers(min_value=5, max_value=50))
def test_random_actions_by_random_actors_never_break_the_workflow_invariants(settings, data, steps):
    asyncio.run(Run(data, settings).run(steps))
