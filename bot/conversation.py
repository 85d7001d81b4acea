"""Answers one checked delivery: claim it (once per dedupe key), find who speaks, run a word or a dialogue
step, keep the new dialogue and the answer.

The common case, a text that moves the guided drafting on, needs no engine work: its claim, its step
and the new dialogue go into one transaction, shared by every message that arrived while the previous
one was being written (group commit: a few statements for all of them). Work for the engine (a draft,
a submission, a rating) runs after the claim is committed, so a retry cannot redo it, each in the
engine's own transaction; its answer is stored in a second one.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
import weakref
from dataclasses import asdict, dataclass
from typing import Optional, Union

from sqlalchemy.ext.asyncio import AsyncSession

from storage import bot_store
from storage.models import utcnow
from storage.uow import UnitOfWork
from workflow.domain.rules import Actor
from workflow.domain.sessions import official_label
from workflow.engine.engine import Engine
from workflow.engine.once import once
from workflow.engine.once import purge as once_purge
from workflow.errors import USER_ERRORS, NotFound
from workflow.readmodels import desk
from workflow.settings import Settings
from workflow.usecases import deputy_actions

from . import commands
from . import dialogue as D
from . import texts as T
from .group_commit import GroupCommit
from .webhook import DELIVERY_FIELDS, REPLY_BUDGET, Answered, Inbound

log = logging.getLogger("jianyi.bot")
PURGE_EVERY = 600.0  # seconds between clean-ups of old delivery records
# Another process's claim not finished after WeChat's answer window is taken over by the next retry;
# the sweeper finishes those WeChat no longer retries (its last retry comes about 10 s after the first).
TAKE_OVER_AFTER = dt.timedelta(seconds=REPLY_BUDGET + 0.5)
SWEEP_AFTER = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Fixed:
    """An answer known from the message alone (None: nothing to say)."""

    text: Optional[str]


@dataclass(frozen=True)
class Word:
    command: commands.Command
    match: object


@dataclass(frozen=True)
class Stepped:
    """The dialogue's step (its intent, if any, not performed yet)."""

    said: D.Said
    step: D.Step


Route = Union[Fixed, Word, Stepped]


@dataclass
class Plan:
    """A delivery after the first transaction: its answer if known, else the work left to do."""

    msg: Inbound
    answered: Optional[Answered] = None
    route: Optional[Route] = None
    who: Optional[bot_store.Identity] = None
    stored: Optional[bot_store.StoredDialogue] = None


class Conversation:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.db, self.settings = engine, engine.db, settings
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._last_purge: Optional[float] = None
        self._sqlite_writes = asyncio.Lock() if engine.db.is_sqlite else None
        self._first = GroupCommit(self._first_transaction)
        # Who works on a claimed message: this process (a new one after each start), and the keys it is on.
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._working: set[str] = set()

    async def answer(self, msg: Inbound) -> Answered:
        """The answer to `msg`; runs its effect only if this is the first delivery (or the first one's
        process died before finishing it: then this one takes the work over, and the effect still happens once)."""
        lock = self._locks.get(msg.from_user)
        if lock is None:
            lock = self._locks[msg.from_user] = asyncio.Lock()
        async with lock:  # one user's messages in order, in this process
            try:
                plan = await self._first.submit(msg)
            except Exception:  # noqa: BLE001 - nothing was kept: the deputy may simply send it again
                log.exception("the transaction of %s failed", msg.key)
                return Answered(T.BUSY)
            if plan.answered is not None:
                result = plan.answered
            else:
                self._working.add(msg.key)
                try:
                    result = await self._finish(plan)
                finally:
                    self._working.discard(msg.key)
        await self._maybe_purge()
        return result

    async def sweep(self) -> int:
        """Finish the messages whose first owner died and which WeChat no longer retries: each answer
        goes out as a customer-service message. Returns how many were taken over."""
        async with self.db.read() as session:
            found = await bot_store.abandoned(session, SWEEP_AFTER)
        taken = 0
        for key, _claim, message in found:
            try:
                msg = Inbound(**message)
            except TypeError:
                log.error("claim %s keeps a message this version cannot read; left as it is", key)
                continue
            answered = await self.answer(msg)
            if not answered.earlier:
                taken += 1
                if answered.text:
                    await self.follow_up(msg, answered.text)
        return taken

    async def earlier(self, key: str) -> Optional[Answered]:
        async with self.db.read() as session:
            found = await bot_store.delivered(session, key)
        return _earlier(found) if found is not None else None

    async def follow_up(self, msg: Inbound, text: str) -> None:
        async with self._writing():
            await bot_store.follow_up(self.db, msg.key, msg.from_user, text)

    # ------------------------------------------------------------ the first transaction, shared
    async def _first_transaction(self, msgs: list[Inbound]) -> list[Plan]:
        """Claim each delivery and, where the dialogue alone answers it, step and keep the dialogue: one
        transaction for every message that arrived together. Work for the engine is left to `_finish`."""
        async with self._writing():
            async with UnitOfWork(self.db) as session:
                found = await bot_store.speakers(session, [m.from_user for m in msgs])
                plans = [await self._plan(session, msg, *found[msg.from_user]) for msg in msgs]
                claims = [_claim(p) for p in plans if p.route is not None]
                earlier = await bot_store.claim_messages(session, claims, self.owner)
                changes = []
                for plan in plans:
                    if plan.msg.key in earlier and earlier[plan.msg.key].replayed:
                        log.warning("message %s came with the signed URL of another body: refused", plan.msg.key)
                        plan.answered, plan.route = Answered(None, replayed=True), None
                    elif plan.msg.key in earlier and not await self._take_over(session, plan, earlier[plan.msg.key]):
                        plan.answered, plan.route = _earlier(earlier[plan.msg.key]), None
                    elif isinstance(plan.route, Stepped) and plan.answered is not None:
                        new = plan.route.step.dialogue
                        changes.append((plan.msg.from_user, plan.stored, new.state, dict(new.data)))
                if await bot_store.save_dialogues(session, changes):
                    log.warning("a dialogue changed concurrently (another process?); the newer step was kept")
        return plans

    async def _take_over(self, session: AsyncSession, plan: Plan, earlier: bot_store.Delivered) -> bool:
        """Whether this delivery takes over an earlier one's unfinished work: its owner is another process
        that has not finished within WeChat's answer window (it died, or it is about to send the answer as
        a message), or this process itself, no longer working on it (its run failed half-way)."""
        key = plan.msg.key
        if earlier.answer is not None or plan.route is None:
            return False
        if earlier.owner == self.owner:
            if key in self._working:
                return False
        elif earlier.claimed_at is not None and utcnow() - earlier.claimed_at < TAKE_OVER_AFTER:
            return False
        if not await bot_store.take_over(session, key, earlier, self.owner):
            return False
        log.warning("message %s: its claim by %s was not finished; taken over", key, earlier.owner or "?")
        if plan.answered is not None:  # the dialogue alone answers it now (e.g. the draft was submitted)
            await bot_store.record_answer(session, key, plan.answered.text or "")
        return True

    async def _plan(self, session: AsyncSession, msg: Inbound, who, stored) -> Plan:
        plan = Plan(msg, who=who, stored=stored)
        try:
            plan.route = await self._route(session, msg, who, stored)
        except USER_ERRORS as exc:
            plan.route = Fixed(exc.message)
        except Exception:  # noqa: BLE001 - one message's bug must not fail the others of its transaction
            log.exception("routing %s failed", msg.key)
            plan.answered = Answered(T.BUSY)  # not claimed: a retry may try again
            return plan
        if isinstance(plan.route, Fixed):
            plan.answered = Answered(T.fit(plan.route.text) if plan.route.text else None)
        elif isinstance(plan.route, Stepped) and plan.route.step.intent is None:
            plan.answered = Answered(T.fit(plan.route.step.reply))
        return plan

    # ------------------------------------------------------------ work for the engine, then the answer
    async def _finish(self, plan: Plan) -> Answered:
        msg, route, who = plan.msg, plan.route, plan.who
        try:
            with once(msg.key):  # run again after a takeover, each engine write still happens once
                if isinstance(route, Word):
                    new, text, forget = await self._word(route, msg.from_user, who, plan.stored)
                else:
                    new, text = await self._perform(who, route)
                    forget = False
        except Exception:  # noqa: BLE001 - the deputy gets an apology, the log gets the bug
            log.exception("answering %s failed", msg.key)
            new, text, forget = None, T.BUSY, False
        async with self._writing():
            async with UnitOfWork(self.db) as session:
                stored = bot_store.StoredDialogue() if forget else plan.stored
                text = await self._keep(session, msg, stored, None if forget else new, text)
        return Answered(text)

    def _writing(self):
        """On SQLite, this process's writers take turns here rather than in SQLite's busy-wait (which sleeps)."""
        return self._sqlite_writes if self._sqlite_writes is not None else contextlib.nullcontext()

    async def _keep(self, session: AsyncSession, msg: Inbound, stored, new: Optional[D.Dialogue], text: str) -> str:
        """Store the new dialogue and the answer of a message claimed before."""
        text = T.fit(text)
        if new is not None and not await bot_store.save_dialogue(session, msg.from_user, stored, new.state,
                                                                   dict(new.data)):
            log.warning("dialogue of %s changed concurrently; message %s kept its effect", msg.from_user, msg.key)
        await bot_store.record_answer(session, msg.key, text)
        return text

    async def _route(self, session: AsyncSession, msg: Inbound, who, stored) -> Route:
        said = _said(msg, who)
        if isinstance(said, Fixed):
            return said
        if isinstance(said, D.Text):
            found = commands.find(said.text, who.kind)
            if found is not None:
                command, match = found
                if command.pure:
                    return Fixed((await command.handler(self._ask(msg.from_user, who), match)).text)
                return Word(command, match)
        if who.kind != "deputy":
            return Fixed(T.please_bind() if not who.bound else T.UNIT_UNKNOWN)
        current = D.Dialogue(stored.state, stored.data)
        facts = await self._facts(session, who, current, said)
        return Stepped(said, D.step(current, said, facts))

    def _ask(self, openid: str, who, stored=None) -> commands.Ask:
        dialogue = D.Dialogue(stored.state, stored.data) if stored is not None else D.Dialogue()
        return commands.Ask(openid, who, self.engine, self.settings, dialogue)

    async def _facts(self, session: AsyncSession, who, current: D.Dialogue, said, ref: Optional[str] = None) -> D.Facts:
        need = D.needs(current, said)
        ref = ref or (current.data.get("ref") if need.draft else None)
        draft = None
        if ref:
            try:
                draft = await desk.draft_view(session, who.key, ref)
            except NotFound:
                draft = None
        roster = await desk.find_deputies(session, need.names) if need.names else {}
        drafts = tuple(await desk.open_drafts(session, who.key)) if need.open_drafts else ()
        return D.Facts(self.settings.workflow.categories, who.key, draft, roster, drafts)

    # ------------------------------------------------------------ after the claim
    async def _word(self, route: Word, openid: str, who, stored=None) -> tuple[Optional[D.Dialogue], str, bool]:
        try:
            reply = await route.command.handler(self._ask(openid, who, stored), route.match)
        except USER_ERRORS as exc:
            return None, exc.message, False
        return reply.dialogue, reply.text, reply.forget_dialogue

    async def _perform(self, who, first: Stepped) -> tuple[D.Dialogue, str]:
        intent = first.step.intent
        outcome = await self._run(who, intent)
        ref = outcome.result.get("ref") if isinstance(outcome, D.Done) else None
        ref = ref or getattr(intent, "ref", None) or first.step.dialogue.data.get("ref")
        async with self.db.read() as session:
            facts = await self._facts(session, who, first.step.dialogue, outcome, ref=ref)
        final = D.step(first.step.dialogue, outcome, facts)
        return final.dialogue, final.reply

    async def _run(self, who, intent: D.Intent) -> Union[D.Done, D.Failed]:
        actor = Actor("deputy", who.key, who.name)
        engine = self.engine
        try:
            if isinstance(intent, D.CreateDraft):
                result = await engine.create_proposal(actor, who.key, intent.title, intent.content, intent.category,
                                                      list(intent.co_signers))
                ref = result.proposal.ref
                for photo in intent.photos:
                    await deputy_actions.attach_photo(self.db, who.key, ref, photo["media_id"], photo["url"], photo["msg_id"])
                return D.Done(intent, {"ref": ref})
            if isinstance(intent, D.Revise):
                await engine.perform(intent.ref, "revise", actor, dict(intent.fields))
            elif isinstance(intent, D.Consult):
                await engine.perform(intent.ref, "request_consultation", actor, {"question": intent.question})
            elif isinstance(intent, D.Submit):
                result = await engine.perform(intent.ref, "submit", actor)
                return D.Done(intent, {"number": result.proposal.number, "title": result.proposal.title,
                                       "official": official_label(result.proposal)})
            elif isinstance(intent, D.Attach):
                photo = intent.photo
                count = await deputy_actions.attach_photo(self.db, who.key, intent.ref, photo.media_id, photo.url, photo.msg_id)
                return D.Done(intent, {"count": count})
            elif isinstance(intent, D.Resume):
                async with self.db.read() as session:
                    view = await desk.draft_view(session, who.key, intent.ref)
                if not view.editable:
                    return D.Failed(intent, T.draft_gone(view))
                return D.Done(intent, {"ref": view.ref})
        except USER_ERRORS as exc:
            return D.Failed(intent, exc.message)
        return D.Done(intent, {})

    async def _maybe_purge(self) -> None:
        """Now and then, forget deliveries older than WeChat could retry (a quick indexed DELETE)."""
        now = asyncio.get_running_loop().time()
        if self._last_purge is None:
            self._last_purge = now
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        try:
            async with self._writing():
                removed = await bot_store.purge_messages(self.db) + await once_purge(self.db)
        except Exception:  # noqa: BLE001 - housekeeping only; tried again later
            log.exception("purging old delivery records failed")
            return
        if removed:
            log.info("purged %d old delivery records", removed)


def _claim(plan: Plan) -> bot_store.Claim:
    answer, msg = _stored_answer(plan), plan.msg
    kept = {k: v for k, v in asdict(msg).items() if k not in DELIVERY_FIELDS} if answer is None else None
    return bot_store.Claim(msg.key, msg.from_user, answer, kept, msg.signed or None, msg.body_digest or None)


def _stored_answer(plan: Plan) -> Optional[str]:
    """What to record with the claim: the answer if known now ("" for none), None while work remains."""
    if plan.answered is None:
        return None
    return plan.answered.text or ""


def _earlier(found: bot_store.Delivered) -> Answered:
    return Answered(found.answer or None, earlier=True, in_progress=found.answer is None,
                    followed_up=found.followed_up)


def _said(msg: Inbound, who: bot_store.Identity) -> Union[D.Said, Fixed]:
    """What a delivery says: a text, a photo, a menu word, or an answer known without a step."""
    if msg.msg_type == "text":
        return D.Text(msg.content.strip())
    if msg.msg_type == "image":
        return D.Photo(msg.media_id, msg.pic_url, msg.msg_id)
    if msg.msg_type == "voice" and msg.recognition.strip():
        return D.Text(msg.recognition.strip().rstrip("。"))
    if msg.msg_type == "event":
        if msg.event == "click":
            return D.Text(commands.MENU_WORDS.get(msg.event_key, "帮助"))
        if msg.event == "subscribe":
            return Fixed({"deputy": T.HELP, "unit": T.UNIT_HELP}.get(who.kind) or T.welcome())
        return Fixed(None)  # unsubscribe, menu links, location reports: nothing to say
    return Fixed(T.UNSUPPORTED)
