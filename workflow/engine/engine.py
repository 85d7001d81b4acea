"""The engine's one door: every action on a proposal, in one transaction with its event and outbox rows.

    engine = Engine(db, settings)
    proposal = await engine.perform("2025-012", "accept", actor, {"category": "教育"})

Bot, console, API and unit links call only this (and `create_proposal`); whether an action is
allowed is decided here, from the tables in workflow/domain/definition.py and the rules in
workflow/domain/rules.py, which `allowed_actions` and `perform` run alike.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import Assignment, CoSigner, Event, Proposal, utcnow
from storage.uow import Conflict, UnitOfWork
from workflow.domain import clock as beijing
from workflow.domain.definition import (
    ACTING_ROLES,
    ACTIONS,
    ACTOR_LABELS,
    ASSIGNMENT_STATES,
    FINAL_STATES,
    HANDLING_ROLES,
    LIVE_ASSIGNMENT_STATES,
    ORIGINS,
    REPLY_STATES,
    ROLES,
    STATES,
    Action,
)
from workflow.domain.errors import Forbidden, InvalidInput, NotAllowed, NotFound
from workflow.domain.machine import assignment_action_possible, fire_assignment, fire_proposal, proposal_action_possible
from workflow.domain.params import clean_params
from workflow.domain.projection import text_digest
from workflow.domain.rules import GUARDS, INPUT_GUARDS, Actor, Context
from workflow.engine import carried, effects, once, reply_index, share_facts
from workflow.engine.chain import append_event
from workflow.engine.grouping import follow_group, look_up_facts
from workflow.engine.keys import chain_key_for
from workflow.engine.outputs import assignment_facts, outbox_rows
from workflow.settings import Settings

log = logging.getLogger("jianyi.engine")
CONFLICT = "这件建议刚刚被别人处理过，请刷新后再试。"
EXTENSION_DECISIONS = ("approve_extension", "refuse_extension")  # staff answer a unit's 延期申请
BUSY = "系统繁忙，这件建议正在被处理，请稍后再试。"


@dataclass
class ActionResult:
    proposal: Proposal
    event: Event
    from_state: str
    to_state: str


@dataclass
class Engine:
    db: Database
    settings: Settings
    clock: Callable[[], dt.date] = field(default=beijing.today)  # the one clock: Beijing's date

    def __post_init__(self) -> None:
        if self.db is not None and self.db.chain_key is None:  # a handle made without it: the settings' key
            self.db.chain_key = chain_key_for(self.settings)

    # ------------------------------------------------------------------ public API
    async def perform(self, ref: str, action: str, actor: Actor, raw: Mapping[str, Any] | None = None) -> ActionResult:
        """Run one action on the proposal `ref` (number or d<id>) as `actor`."""
        raw, key = dict(raw or {}), once.next_key()
        try:
            return await self._perform(ref, action, actor, raw, key)
        except Conflict as conflict:
            return await self._twin_result(key, conflict)

    async def _perform(self, ref: str, action: str, actor: Actor, raw: dict, key: Optional[str]) -> ActionResult:
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            if (done := await once.earlier(session, key)) is not None:
                return _earlier_result(done)
            proposal = await repo.proposal_by_ref(session, ref, for_update=True)
            if proposal is None:
                raise NotFound(f"找不到建议 {ref}。")
            if proposal.state in REPLY_STATES:
                await repo.load_replies(session, proposal)
            return self._receipted(session, key, await self._apply(session, proposal, action, actor, raw))

    async def create_proposal(
        self, actor: Actor, lead_deputy: str, title: str, content: str, category: str = "",
        co_signers: Sequence[str] = (), submit: bool = False, confidential: bool = False,
        face_to_face: bool = False, origin: str = "proposal",
    ) -> ActionResult:
        """A new draft for `lead_deputy` (by the deputy, or entered by staff from paper: 代录), optionally submitted."""
        if actor.kind == "staff" and actor.role not in ACTING_ROLES:
            raise Forbidden("您的账号只能查看，不能录入建议。")
        if actor.kind == "deputy" and actor.id != lead_deputy:
            raise Forbidden("代表只能以本人名义起草建议。")
        if actor.kind not in ("deputy", "staff", "system"):
            raise Forbidden("只有代表或工作人员可以起草建议。")
        fields = clean_params("revise", {"title": title, "content": content, "category": category},
                              self.settings.workflow.categories)
        if origin not in ORIGINS:
            raise InvalidInput(f"来源只能是：{'、'.join(ORIGINS)}（proposal 代表建议，motion 议案转建议）。", field="origin")
        if submit and (not fields.get("title") or not fields.get("content")):
            raise InvalidInput("建议的标题和内容都不能为空。", field="title" if not fields.get("title") else "content")
        key = once.next_key()
        try:
            return await self._create(key, actor, lead_deputy, fields, co_signers, submit,
                                      dict(confidential=confidential, face_to_face=face_to_face, origin=origin))
        except Conflict as conflict:
            return await self._twin_result(key, conflict)

    async def _create(self, key: Optional[str], actor: Actor, lead_deputy: str, fields: dict,
                      co_signers: Sequence[str], submit: bool, flags: dict) -> ActionResult:
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            if (done := await once.earlier(session, key)) is not None:
                return _earlier_result(done)
            return self._receipted(session, key, await self.create_in(session, actor, lead_deputy, fields,
                                                                      co_signers, submit, flags))

    async def create_in(self, session: AsyncSession, actor: Actor, lead_deputy: str, fields: dict,
                        co_signers: Sequence[str] = (), submit: bool = False, flags: dict | None = None) -> ActionResult:
        """A new draft inside the caller's transaction (意见转建议 writes the opinions' events beside it)."""
        flags = {"confidential": False, "face_to_face": False, "origin": "proposal", **(flags or {})}
        deputy = await repo.deputy_by_number(session, lead_deputy)
        if deputy is None or not deputy.active:
            raise InvalidInput(f"代表证号 {lead_deputy} 不在代表名册中。", field="lead_deputy")
        numbers = [n for n in dict.fromkeys(co_signers) if n != lead_deputy]
        found = await repo.deputies_by_numbers(session, numbers)
        missing = [n for n in numbers if n not in found or not found[n].active]
        if missing:
            raise InvalidInput(f"联名代表 {'、'.join(missing)} 不在代表名册中。", field="co_signers")
        # Staff enter a paper proposal with its signatures; co-signers in the bot confirm themselves.
        confirmed = utcnow() if actor.kind in ("staff", "system") else None
        proposal = Proposal(
            year=self.clock().year, title=fields.get("title", ""), content=fields.get("content", ""),
            category=fields.get("category", ""), lead_deputy=deputy, state="draft", **flags,
            co_signers=[CoSigner(deputy=found[n], confirmed_at=confirmed) for n in numbers],
            assignments=[], consultations=[], replies=[], evaluations=[],
        )
        session.add(proposal)
        await session.flush()
        ctx = self._context(proposal, "create", self._as_deputy(actor, deputy.number), {})
        payload = {"title": proposal.title, "co_signers": numbers, "lead": f"{deputy.name}代表",
                   "category": proposal.category, "content_sha256": text_digest(proposal.content),
                   **flags}
        result = await self._record(session, ctx, "", "draft", payload)
        if submit:
            result = await self._apply(session, proposal, "submit", actor, {"on_behalf_of": lead_deputy})
        return result

    async def _twin_result(self, key: Optional[str], conflict: Conflict) -> ActionResult:
        """A twin run of the same `once` write committed first: its result stands (else the conflict)."""
        if key is None or conflict.reason != "duplicate":
            raise conflict
        async with self.db.read() as session:
            done = await once.earlier(session, key)
        if done is None:
            raise conflict
        log.info("write %s was done by a twin run; its result stands", key)
        return _earlier_result(done)

    @staticmethod
    def _receipted(session: AsyncSession, key: Optional[str], result: ActionResult) -> ActionResult:
        once.record(session, key, result.proposal, result.event, result.from_state, result.to_state)
        return result

    def allowed_actions(self, proposal: Proposal, actor: Actor, assignment: Optional[Assignment] = None) -> list[str]:
        """The actions `actor` may take on `proposal` now (guards on parameters are not judged yet)."""
        return [action_id for action_id, spec in ACTIONS.items()
                if proposal_action_possible(action_id, proposal.state)
                and self._open_to(proposal, spec, actor, assignment)]

    def _open_to(self, proposal: Proposal, spec: Action, actor: Actor, assignment: Optional[Assignment],
                 raw: Optional[dict] = None) -> bool:
        try:
            ctx = self._context(proposal, spec.id, actor, {})
            ctx.actor = self._effective_actor(ctx, spec, raw or {}, assignment)
            self._check_state(ctx, spec)
            self._check_guards(ctx, spec, include_input=False)
        except InvalidInput as exc:
            # Staff must name the unit when several could be meant: open if it is open for one of them.
            if raw is None and exc.details.get("field") == "unit":
                return any(self._open_to(proposal, spec, actor, assignment, {"unit": a.unit.code})
                           for a in proposal.assignments)
            # Staff enter a co-signer's paper form: open if it is open for one of the co-signers.
            if raw is None and exc.details.get("field") == "on_behalf_of":
                return any(self._open_to(proposal, spec, actor, assignment, {"on_behalf_of": c.deputy.number})
                           for c in proposal.co_signers)
            return False
        except (NotAllowed, Forbidden):
            return False
        return True

    def refusals(self, proposal: Proposal, actor: Actor, assignment: Optional[Assignment] = None) -> dict[str, str]:
        """Why actions open to `actor` in this state are closed now: {action: the guard's reason}. Only a
        guard's refusal is listed (so a unit's page can say why its 答复 form is not there), never an action
        of another actor, role or state."""
        found = {}
        for action_id, spec in ACTIONS.items():
            if not proposal_action_possible(action_id, proposal.state):
                continue
            try:
                ctx = self._context(proposal, spec.id, actor, {})
                ctx.actor = self._effective_actor(ctx, spec, {}, assignment)
                self._check_state(ctx, spec)
            except (InvalidInput, NotAllowed, Forbidden):
                continue
            try:
                self._check_guards(ctx, spec, include_input=False)
            except NotAllowed as exc:
                found[action_id] = exc.message
        return found

    # ------------------------------------------------------------------ the one transaction
    async def _apply(self, session: AsyncSession, proposal: Proposal, action: str, actor: Actor,
                     raw: dict) -> ActionResult:
        spec = ACTIONS.get(action)
        if spec is None:
            raise NotAllowed(f"没有“{action}”这个操作。", allowed=self.allowed_actions(proposal, actor))
        if proposal.state in FINAL_STATES:
            raise NotAllowed(f"建议已{_state_label(proposal.state).removeprefix('已')}，不能再操作。", allowed=[])
        ctx = self._context(proposal, action, actor, {})
        try:
            ctx.actor = self._effective_actor(ctx, spec, raw)
            self._check_state(ctx, spec)
        except NotAllowed as exc:
            exc.allowed = self.allowed_actions(proposal, actor)
            raise
        ctx.params = clean_params(action, raw, self.settings.workflow.categories)
        before, facts_before = {a.id: (a.state, a.reply_due) for a in proposal.assignments}, share_facts.inputs(proposal)
        await look_up_facts(session, ctx)  # what the guards read (units named, 并案), looked up once
        try:
            self._check_guards(ctx, spec, include_input=True)
        except NotAllowed as exc:
            exc.allowed = self.allowed_actions(proposal, actor)
            raise
        payload = await effects.EFFECTS[action](session, ctx)
        if spec.assignment_level and ctx.assignment is not None:
            fire_assignment(ctx, action)
        from_state, to_state = fire_proposal(ctx, action)
        if to_state != from_state:
            effects.on_enter(ctx, to_state, payload)
        payload.update(assignment_facts(proposal, before))
        indexing = reply_index.mark(action, proposal)  # what the indexes will hold, in the proposal's UPDATE
        result = await self._record(session, ctx, from_state, to_state, payload, facts_before)
        await follow_group(self, session, ctx, raw)  # 并案: the members' events, or their 交办 with the lead
        if action in carried.TELLING_ACTIONS:  # citizens whose opinions it carries hear of the reply
            await carried.tell_citizens(session, self.settings, ctx.today, proposal, result.event)
        await reply_index.write(session, proposal, indexing)  # the similarity and search indexes
        return result

    async def _record(self, session: AsyncSession, ctx: Context, from_state: str, to_state: str,
                      payload: dict, facts_before: Optional[tuple] = None) -> ActionResult:
        """The event, its notifications and (when the action changed them) the dashboard's facts rows."""
        event = append_event(session, ctx.proposal, ctx.action, ctx.actor, {**ctx.params, **payload},
                             from_state=from_state, to_state=to_state,
                             assignment_id=ctx.assignment.id if ctx.assignment is not None else None)
        session.add_all(outbox_rows(ctx, event))
        share_facts.mark(session, ctx.proposal, facts_before)  # `facts_before`: share_facts.inputs
        await session.flush()  # one round of writes; the version check happens here
        await share_facts.write_marked(session, ctx.proposal)
        return ActionResult(ctx.proposal, event, from_state, to_state)

    # ------------------------------------------------------------------ checks
    def _context(self, proposal: Proposal, action: str, actor: Actor, params: dict) -> Context:
        return Context(proposal=proposal, action=action, actor=actor, params=params, today=self.clock(),
                       deadlines=self.settings.deadlines, rehandle_limit=self.settings.workflow.rehandle_limit,
                       withdraw_needs_consent=self.settings.workflow.withdraw_needs_co_signer_consent,
                       reassign_fresh_period=self.settings.workflow.reassign_fresh_period,
                       numbering=self.settings.sessions,
                       separate_attitude=self.settings.evaluation.separate_attitude)

    @staticmethod
    def _as_deputy(actor: Actor, number: str) -> Actor:
        if actor.kind == "deputy":
            return actor
        return Actor(actor.kind, actor.id, actor.name, actor.role, on_behalf_kind="deputy", on_behalf_id=number)

    def _effective_actor(self, ctx: Context, spec: Action, raw: dict, link_assignment=None) -> Actor:
        """Check that `actor` may take this action at all, and find the assignment it acts through."""
        actor, proposal = ctx.actor, ctx.proposal
        if actor.kind == "system":
            return actor
        if spec.actors == {"system"}:
            raise NotAllowed(f"“{spec.label}”由系统在期限到时自动办理。")
        if actor.kind == "staff":
            if actor.role not in ACTING_ROLES:
                raise Forbidden("您的账号只能查看，不能办理。")
            if "staff" in spec.actors:
                ctx.assignment = self._assignment_by_unit(ctx, spec, raw.get("unit"), required=False)
                return actor
            if "deputy" in spec.actors:  # 代录: staff enter a deputy's paper form
                if spec.deputy_role != "lead" and not raw.get("on_behalf_of"):
                    raise InvalidInput("请选择代哪位联名代表录入。", field="on_behalf_of")
                number = str(raw.get("on_behalf_of") or proposal.lead_deputy.number)
                proxy = self._as_deputy(actor, number)
                self._check_deputy(ctx, spec, number)
                return proxy
            # A unit's paper form entered by staff.
            ctx.assignment = self._assignment_by_unit(ctx, spec, raw.get("unit"), required=True)
            return Actor(actor.kind, actor.id, actor.name, actor.role, on_behalf_kind="unit",
                         on_behalf_id=ctx.assignment.unit.code)
        if actor.kind == "deputy":
            if "deputy" not in spec.actors:
                raise NotAllowed(f"“{spec.label}”由{_who(spec)}办理。")
            self._check_deputy(ctx, spec, actor.id)
            return actor
        if actor.kind == "unit":
            if "unit" not in spec.actors:
                raise NotAllowed(f"“{spec.label}”由{_who(spec)}办理。")
            assignment = link_assignment or next(
                (a for a in proposal.assignments if a.id == actor.assignment_id), None)
            if assignment is None:
                raise Forbidden("该链接不属于这件建议。")
            if assignment.role not in spec.unit_roles:
                raise NotAllowed(f"“{spec.label}”只能由{'、'.join(_role_label(r) for r in spec.unit_roles)}单位办理。")
            ctx.assignment = assignment
            return actor
        raise Forbidden("无权操作。")

    def _check_deputy(self, ctx: Context, spec: Action, number: str) -> None:
        proposal = ctx.proposal
        if spec.deputy_role == "co_signer":
            if not any(c.deputy.number == number for c in proposal.co_signers):
                raise NotAllowed("您不是本建议的联名代表。")
        elif spec.deputy_role == "lead" and proposal.lead_deputy.number != number:
            raise NotAllowed(f"“{spec.label}”只能由领衔代表办理。")

    def _assignment_by_unit(self, ctx: Context, spec: Action, code: Any, required: bool) -> Optional[Assignment]:
        live = [a for a in ctx.proposal.assignments if a.state in LIVE_ASSIGNMENT_STATES]
        if spec.unit_roles:
            live = [a for a in live if a.role in spec.unit_roles]
        elif ctx.action != "give_advice":
            live = [a for a in live if a.role in HANDLING_ROLES]
        if code:
            found = [a for a in live if a.unit.code == str(code)]
            if not found:
                raise InvalidInput(f"单位 {code} 没有承办这件建议。", field="unit")
            return found[0]
        if not spec.assignment_level or not (required or spec.id in ("extend_deadline", "reassign",
                                                                    "reject_adjustment", *EXTENSION_DECISIONS)):
            return None
        candidates = [a for a in live if a.role == "lead"] if spec.id == "extend_deadline" else live
        if spec.id in ("reassign", "reject_adjustment"):
            candidates = [a for a in live if a.state == "adjustment_requested"]
        if spec.id in EXTENSION_DECISIONS:  # the unit whose application waits
            candidates = [a for a in live if a.extension_requested_due is not None]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise NotAllowed(f"现在没有可以“{spec.label}”的承办单位。")
        raise InvalidInput("请用 unit 指明是哪个单位。", field="unit")

    def _check_state(self, ctx: Context, spec: Action) -> None:
        state = ctx.proposal.state
        if not proposal_action_possible(spec.id, state):
            raise NotAllowed(f"建议处于“{_state_label(state)}”状态，不能“{spec.label}”。")
        a = ctx.assignment
        if spec.assignment_level and a is not None and not assignment_action_possible(spec.id, a.state):
            raise NotAllowed(f"本单位的交办处于“{_assignment_label(a.state)}”状态，不能“{spec.label}”。")
        if spec.assignment_level and a is None and "staff" not in spec.actors:
            raise NotAllowed(f"“{spec.label}”须由承办单位办理。")

    def _check_guards(self, ctx: Context, spec: Action, include_input: bool) -> None:
        for name in spec.guards:
            if name in INPUT_GUARDS and not include_input:
                continue
            reason = GUARDS[name](ctx)
            if reason and name in INPUT_GUARDS:
                field_name = getattr(reason, "field", "")
                raise InvalidInput(str(reason), **({"field": field_name} if field_name else {}))
            if reason:
                raise NotAllowed(reason)


def _earlier_result(done: once.Earlier) -> ActionResult:
    return ActionResult(done.proposal, done.event, done.from_state, done.to_state)


def _state_label(state: str) -> str:
    return STATES.get(state, state)


def _assignment_label(state: str) -> str:
    return ASSIGNMENT_STATES.get(state, state)


def _role_label(role: str) -> str:
    return ROLES.get(role, role)


def _who(spec: Action) -> str:
    return "或".join(ACTOR_LABELS[a] for a in sorted(spec.actors))
