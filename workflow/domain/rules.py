"""The rules: conditions that choose where an action leads, and guards that refuse it with a reason.

A `Context` is what the state machines run on: one proposal (with its assignments, replies and
evaluations loaded), the assignment acted on, the cleaned parameters, the units those parameters
name (looked up by the engine before any rule runs) and today's date. Everything here is plain
Python over those objects; no I/O. `allowed_actions` and `perform` run the same guards.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

from workflow.domain import clock as beijing
from workflow.domain import withdrawal
from workflow.domain.deadlines import due_date
from workflow.domain.definition import (
    IMPLEMENTED_CATEGORIES,
    LIVE_ASSIGNMENT_STATES,
    PROMISING_CATEGORIES,
    SUPERSEDED_ASSIGNMENT_STATES,
)
from workflow.domain.errors import Refusal
from workflow.domain.evaluation_rules import (
    implementation_awaits_rating,
    leader_for_key_supervision,
    opinion_form_complete,
    percent_in_range,
    promise_date_for_b,
    reason_for_unsatisfied,
    reply_awaits_rating,
    within_rating_window,
)
from workflow.domain.handling_groups import GROUP_GUARDS, GROUP_INPUT_GUARDS, GroupFacts
from workflow.domain.records import AssignmentRecord as Assignment
from workflow.domain.records import EvaluationRecord as Evaluation
from workflow.domain.records import ProposalRecord as Proposal
from workflow.domain.records import ReplyRecord as Reply
from workflow.domain.records import UnitRecord as Unit
from workflow.settings import DeadlineSettings, SessionSettings


@dataclass
class Actor:
    """Who acts: a deputy (bot), a staff member (console/API), a unit (its link), or the engine."""

    kind: str  # deputy | staff | unit | system
    id: str  # deputy number, username, unit code
    name: str = ""
    role: str = ""  # staff role: admin | staff | supervisor | viewer
    assignment_id: Optional[int] = None  # a unit link is scoped to one assignment
    on_behalf_kind: str = ""  # staff entering a paper form: deputy | unit
    on_behalf_id: str = ""

    @property
    def effective_kind(self) -> str:
        return self.on_behalf_kind or self.kind

    @property
    def effective_id(self) -> str:
        return self.on_behalf_id or self.id


@dataclass
class Context(withdrawal.WithdrawalConditions):
    """The model the `transitions` machines run on, for one action."""

    proposal: Proposal
    action: str = ""
    actor: Optional[Actor] = None
    assignment: Optional[Assignment] = None
    params: dict[str, Any] = field(default_factory=dict)
    today: dt.date = field(default_factory=beijing.today)
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    units: dict[str, Unit] = field(default_factory=dict)  # the units the parameters name, by code
    rehandle_limit: int = 1  # re-handlings a 不满意 opens before staff decide (workflow.rehandle_limit)
    withdraw_needs_consent: bool = False  # workflow.withdraw_needs_co_signer_consent
    reassign_fresh_period: bool = True  # workflow.reassign_fresh_period: 改派 starts a new reply period
    numbering: SessionSettings = field(default_factory=SessionSettings)  # [sessions]: official number formats
    separate_attitude: bool = True  # evaluation.separate_attitude: 办理态度 rated apart from 办理结果
    group: Optional[GroupFacts] = None  # 并案办理: what the group guards read (looked up for GROUP_ACTIONS only)
    state: str = ""  # the machine's attribute; copied to and from the proposal by the engine

    # ------------------------------------------------------------ helpers
    def lead_assignments(self) -> list[Assignment]:
        return [a for a in self.proposal.assignments
                if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES]

    def co_assignments(self) -> list[Assignment]:
        return [a for a in self.proposal.assignments
                if a.role == "co" and a.state not in SUPERSEDED_ASSIGNMENT_STATES]

    def named_units(self) -> list[str]:
        """The unit codes the parameters name (units to assign, a unit to consult or to reassign to)."""
        codes = list(self.params.get("lead_units", [])) + list(self.params.get("co_units", []))
        if self.params.get("to_unit"):
            codes.append(self.params["to_unit"])
        if self.action == "request_consultation" and self.params.get("unit"):
            codes.append(self.params["unit"])
        return codes

    def current_replies(self) -> list[Reply]:
        return [r for r in self.proposal.replies if r.round == self.proposal.round]

    def latest_reply_for(self, assignment_id: int) -> Optional[Reply]:
        replies = [r for r in self.proposal.replies if r.assignment_id == assignment_id]
        return replies[-1] if replies else None

    def rating_for(self, reply: Reply, kind: str = "reply") -> Optional[Evaluation]:
        found = [e for e in self.proposal.evaluations if e.kind == kind and e.reply_id == reply.id]
        return found[-1] if found else None

    def needs_follow_up(self, reply: Reply) -> bool:
        """Whether this rated reply leaves something to be done and rated later (跟踪办理): a promise (B, C),
        or a solved (A) reply whose implementation was not rated yet, or was rated 不满意."""
        if reply.category in PROMISING_CATEGORIES:
            return True
        if reply.category in IMPLEMENTED_CATEGORIES:
            rated = self.rating_for(reply, "implementation")
            return rated is None or rated.rating == "unsatisfied"
        return False

    def rating_window_start(self) -> Optional[dt.date]:
        """The reply ratings open when the last lead unit's reply of the round arrives (its Beijing date)."""
        days = [r.replied_on for r in self.replies_of_latest_round() if r.replied_on is not None]
        return max(days) if days else None

    def rating_due(self, opened_on: Optional[dt.date]) -> Optional[dt.date]:
        return due_date(opened_on, self.deadlines.evaluation).due if opened_on is not None else None

    def implementation_rating_open(self) -> list[Assignment]:
        """Lead units whose implementation the deputy is asked to rate now (reported done, answered A, or
        the promise date passed)."""
        return [a for a in self.lead_assignments()
                if a.state == "implementing" and a.rating_opened_on is not None]

    def replies_of_latest_round(self) -> list[Reply]:
        """The newest reply of each lead unit still on the proposal."""
        replies = []
        for assignment in self.lead_assignments():
            reply = self.latest_reply_for(assignment.id)
            if reply is not None:
                replies.append(reply)
        return replies

    # ------------------------------------------------------------ conditions (destinations)
    def all_lead_units_signed(self) -> bool:
        leads = self.lead_assignments()
        return bool(leads) and all(a.signed_at is not None and a.state != "adjustment_requested" for a in leads)

    def new_lead_unit_pending(self) -> bool:
        return any(a.role == "lead" and a.state == "pending" for a in self.proposal.assignments)

    def all_lead_units_replied(self) -> bool:
        leads = self.lead_assignments()
        return bool(leads) and all(a.state == "replied" for a in leads)

    def replies_await_rating(self) -> bool:
        return any(self.rating_for(r) is None for r in self.replies_of_latest_round())

    def any_reply_unsatisfied(self) -> bool:
        return any(
            (e := self.rating_for(r)) is not None and e.rating == "unsatisfied" for r in self.replies_of_latest_round()
        )

    def any_unit_implementing(self) -> bool:
        return any(self.needs_follow_up(r) for r in self.replies_of_latest_round()
                   if (e := self.rating_for(r)) is not None and e.rating != "unsatisfied")

    def rehandle_limit_reached(self) -> bool:
        """A unit rated 不满意 has already been re-handled as often as the settings allow."""
        unhappy = {r.assignment_id for r in self.replies_of_latest_round()
                   if (e := self.rating_for(r)) is not None and e.rating == "unsatisfied"}
        return any(a.id in unhappy and (a.unsatisfied_count or 0) > self.rehandle_limit
                   for a in self.lead_assignments())

    def no_unit_implementing(self) -> bool:
        return not any(a.state == "implementing" for a in self.lead_assignments())

    def decided_to_close(self) -> bool:
        return self.params.get("decision") == "close"

    def rating_unsatisfied(self) -> bool:
        return self.params.get("rating") == "unsatisfied"

    def assignment_was_signed(self) -> bool:
        return self.assignment is not None and self.assignment.signed_at is not None


# ---------------------------------------------------------------- guards: None = allowed, else why not
def has_title_and_content(ctx: Context) -> Optional[str]:
    if not ctx.proposal.title.strip() or not ctx.proposal.content.strip():
        return "建议的标题和内容都不能为空。"
    return None


def is_unconfirmed_co_signer(ctx: Context) -> Optional[str]:
    number = ctx.actor.effective_id if ctx.actor else ""
    for co in ctx.proposal.co_signers:
        if co.deputy.number == number:
            return None if co.confirmed_at is None else "您已确认过联名。"
    return "您不是本建议的联名代表。"


def may_join_as_co_signer(ctx: Context) -> Optional[str]:
    """加入联名: a deputy neither leading nor already on the list (an invited one confirms instead)."""
    number = ctx.actor.effective_id if ctx.actor else ""
    if ctx.proposal.lead_deputy.number == number:
        return "您是这件建议的领衔代表。"
    for co in ctx.proposal.co_signers:
        if co.deputy.number == number:
            return "您已是这件建议的联名代表。" if co.confirmed_at is not None else \
                f"领衔代表已邀请您联名，请回复“确认联名 {ctx.proposal.number or ctx.proposal.ref}”。"
    return None


def units_are_active(ctx: Context) -> Optional[str]:
    """Every unit named exists in the roster and is in use; none is both lead and co-unit."""
    leads, cos = ctx.params.get("lead_units", []), ctx.params.get("co_units", [])
    if set(leads) & set(cos):
        return Refusal("同一单位不能既主办又协办。", "co_units")
    missing = [c for c in dict.fromkeys(ctx.named_units()) if c not in ctx.units or not ctx.units[c].active]
    if not missing:
        return None
    if ctx.action == "assign":
        return Refusal(f"找不到单位：{'、'.join(missing)}。", "lead_units")
    return Refusal(f"找不到单位 {missing[0]}。", "to_unit" if ctx.action == "reassign" else "unit")


def within_adjustment_window(ctx: Context) -> Optional[str]:
    a = ctx.assignment
    if a is not None and a.adjustment_due is not None and ctx.today > a.adjustment_due:
        return f"申请调整的期限已于 {a.adjustment_due:%Y-%m-%d} 截止，请与人大工作人员联系。"
    return None


def target_unit_is_free(ctx: Context) -> Optional[str]:
    """The unit a proposal is reassigned to does not already handle it, unless a lead unit is handed to
    one of the proposal's co-units (主办、协办对调: the co-unit becomes lead)."""
    unit = ctx.units.get(ctx.params.get("to_unit") or "")
    if unit is None:
        return None
    live = [a for a in ctx.proposal.assignments if a.unit_id == unit.id and a.state in LIVE_ASSIGNMENT_STATES]
    if not live:
        return None
    if ctx.assignment is not None and ctx.assignment.role == "lead" and all(a.role == "co" for a in live):
        return None
    return Refusal(f"{unit.name}已在承办这件建议。", "to_unit")


def keep_as_co_only_for_lead(ctx: Context) -> Optional[str]:
    """Only a lead unit handed on may stay on the proposal as a co-unit."""
    if ctx.params.get("keep_as_co") and ctx.assignment is not None and ctx.assignment.role != "lead":
        return Refusal("原单位本来就是协办单位，改派后不能再留作协办。", "keep_as_co")
    return None


def opinion_not_given(ctx: Context) -> Optional[str]:
    if ctx.assignment is not None and ctx.assignment.opinion_given:
        return "本单位已提交过协办意见。"
    return None


def contact_logged(ctx: Context) -> Optional[str]:
    if ctx.assignment is not None and not ctx.assignment.contact_logged:
        return "答复前须先与代表沟通，并记录沟通情况（办前/办中沟通）。"
    return None


def co_opinions_in_or_overdue(ctx: Context) -> Optional[str]:
    waiting = [
        a for a in ctx.co_assignments()
        if not a.opinion_given and (a.opinion_due is None or ctx.today <= a.opinion_due)
    ]
    if waiting and ctx.proposal.round == 1:
        names = "、".join(a.unit.name for a in waiting)
        return f"协办单位（{names}）的意见尚未送达，且未超过协办期限，暂不能答复。"
    return None


def due_date_after_today(ctx: Context) -> Optional[str]:
    due = ctx.params.get("due_date")
    if due is not None and due <= ctx.today:
        return Refusal("答复期限应晚于今天。", "due_date")
    return None


def contact_not_in_future(ctx: Context) -> Optional[str]:
    when = ctx.params.get("contacted_on")
    if when is not None and when > ctx.today:
        return Refusal("沟通日期不能晚于今天。", "contacted_on")
    return None


def within_maximum_extension(ctx: Context) -> Optional[str]:
    """An extension (by staff, applied for by the unit, or approved) ends after today and at most
    deadlines.reply_max after 交办 (代表法 art. 52: 3 months, at most 6 with approval)."""
    due = ctx.params.get("due_date")
    a = ctx.assignment
    if due is None and a is not None and ctx.action == "approve_extension":
        due = a.extension_requested_due  # approved as applied for
    if due is None or a is None:
        return None
    limit = due_date(a.assigned_on, ctx.deadlines.reply_max).due
    if due > limit:
        return Refusal(f"延期后的答复期限不能晚于交办之日起 {ctx.deadlines.reply_max}（{limit:%Y-%m-%d}）。", "due_date")
    if due <= ctx.today:
        return Refusal("新的答复期限应晚于今天。", "due_date")
    if ctx.action == "request_extension" and a.reply_due is not None and due <= a.reply_due:
        return Refusal(f"申请延至的日期应晚于现在的答复期限（{a.reply_due:%Y-%m-%d}）。", "due_date")
    return None


def due_date_within_maximum(ctx: Context) -> Optional[str]:
    """At 交办 a reply due date typed by staff is at most deadlines.reply_max away: the cap holds from the start."""
    due = ctx.params.get("due_date")
    if due is None:
        return None
    limit = due_date(ctx.today, ctx.deadlines.reply_max).due
    if due > limit:
        return Refusal(f"答复期限不能晚于交办之日起 {ctx.deadlines.reply_max}（{limit:%Y-%m-%d}）。", "due_date")
    return None


def delay_explained_to_deputy(ctx: Context) -> Optional[str]:
    """代表法 art. 52: before a reply is delayed, the unit explains the delay to the deputy."""
    if ctx.params.get("explained_to_deputy") is not True:
        return Refusal("延期答复须先由承办单位向代表说明延期原因；说明后请勾选“已向代表说明延期原因”。",
                       "explained_to_deputy")
    return None


def no_extension_pending(ctx: Context) -> Optional[str]:
    a = ctx.assignment
    if a is not None and a.extension_requested_due is not None:
        return f"本单位已申请延期至 {a.extension_requested_due:%Y-%m-%d}，正等待人大工作人员审批。"
    return None


def extension_requested(ctx: Context) -> Optional[str]:
    a = ctx.assignment
    if a is None or a.extension_requested_due is None:
        return "该单位没有待审批的延期申请。"
    return None


GUARDS = {fn.__name__: fn for fn in [
    has_title_and_content, is_unconfirmed_co_signer, may_join_as_co_signer, units_are_active, within_adjustment_window,
    target_unit_is_free, opinion_not_given, contact_logged, co_opinions_in_or_overdue,
    promise_date_for_b, reason_for_unsatisfied, reply_awaits_rating, within_maximum_extension,
    due_date_after_today, contact_not_in_future, implementation_awaits_rating, within_rating_window,
    percent_in_range, leader_for_key_supervision, opinion_form_complete,
    withdrawal.withdrawal_confirmed, withdrawal.withdrawal_not_requested, withdrawal.awaits_withdrawal_consent,
    keep_as_co_only_for_lead, due_date_within_maximum, delay_explained_to_deputy, no_extension_pending,
    extension_requested, *GROUP_GUARDS,
]}
# Guards that judge what was typed rather than the proposal: a refusal is bad input (400, naming the
# field when it is a Refusal) rather than an action not open now (409); `allowed_actions` cannot judge
# them before the input.
INPUT_GUARDS = frozenset({
    "promise_date_for_b", "reason_for_unsatisfied", "percent_in_range", "leader_for_key_supervision", "within_maximum_extension", "units_are_active",
    "target_unit_is_free", "due_date_after_today", "contact_not_in_future", "opinion_form_complete",
    "withdrawal_confirmed",
    "keep_as_co_only_for_lead", "due_date_within_maximum", "delay_explained_to_deputy", *GROUP_INPUT_GUARDS,
})
