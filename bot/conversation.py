"""Answers one checked delivery: claim it (once per dedupe key), find who speaks, run a word or a dialogue
step, keep the new dialogue and the answer.

The common case, a text that moves the guided drafting on, is one database transaction: claim, load,
step, save. Work for the engine (a draft, a submission, a rating) runs after the claim is committed,
each in the engine's own transaction, and the answer is stored in a second one.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Optional, Union

from workflow import bot_support, desk
from workflow.errors import NotFound, WorkflowError
from workflow.rules import Actor
from workflow.services import Engine
from workflow.settings import Settings

from . import commands, dialogue as D
from . import texts as T
from .webhook import Answered, Inbound

log = logging.getLogger("jianyi.bot")
PURGE_EVERY = 600.0  # seconds between clean-ups of old delivery records


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


class Conversation:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.db, self.settings = engine, engine.db, settings
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._last_purge: Optional[float] = None

    async def answer(self, msg: Inbound) -> Answered:
        """The answer to `msg`; runs its effect only if this is the first delivery."""
        lock = self._locks.get(msg.from_user)
        if lock is None:
            lock = self._locks[msg.from_user] = asyncio.Lock()
        async with lock:  # one user's messages in order, in this process
            result = await self._answer(msg)
        await self._maybe_purge()
        return result

    async def earlier(self, key: str) -> Optional[Answered]:
        async with self.db.read() as session:
            found = await bot_support.delivered(session, key)
        if found is None:
            return None
        return Answered(found.answer, earlier=True, in_progress=found.answer is None, followed_up=found.followed_up)

    async def follow_up(self, msg: Inbound, text: str) -> None:
        await bot_support.follow_up(self.db, msg.key, msg.from_user, text)

    # ------------------------------------------------------------ the turn
    async def _answer(self, msg: Inbound) -> Answered:
        openid = msg.from_user
        async with self.db.write() as session:
            async with session.begin():
                earlier = await bot_support.claim_message(session, msg.key, openid)
                if earlier is not None:
                    return Answered(earlier.answer, earlier=True, in_progress=earlier.answer is None,
                                    followed_up=earlier.followed_up)
                who = await bot_support.identify(session, openid)
                stored = await bot_support.load_dialogue(session, openid)
                route = await self._route(session, msg, who, stored)
                if isinstance(route, Fixed):
                    if route.text is not None:
                        await bot_support.record_answer(session, msg.key, route.text)
                    return Answered(route.text)
                if isinstance(route, Stepped) and route.step.intent is None:
                    text = await self._keep(session, msg, stored, route.step.dialogue, route.step.reply)
                    return Answered(text)
        # Work for the engine: the claim is committed, so a retry will not redo it.
        try:
            if isinstance(route, Word):
                new, text, forget = await self._word(route, openid, who)
            else:
                new, text = await self._perform(who, route)
                forget = False
        except Exception:  # noqa: BLE001 - the deputy gets an apology, the log gets the bug
            log.exception("answering %s failed", msg.key)
            new, text, forget = None, T.BUSY, False
        async with self.db.write() as session:
            async with session.begin():
                if forget:
                    stored = bot_support.StoredDialogue()
                    new = None
                text = await self._keep(session, msg, stored, new, text)
        return Answered(text)

    async def _keep(self, session, msg: Inbound, stored, new: Optional[D.Dialogue], text: str) -> str:
        text = T.fit(text)
        if new is not None and not await bot_support.save_dialogue(session, msg.from_user, stored, new.state,
                                                                   dict(new.data)):
            log.warning("dialogue of %s changed concurrently; message %s kept its effect", msg.from_user, msg.key)
        await bot_support.record_answer(session, msg.key, text)
        return text

    async def _route(self, session, msg: Inbound, who, stored) -> Route:
        said = _said(msg)
        if said is None or isinstance(said, Fixed):
            return said or Fixed(None)
        if said == "subscribe":
            return Fixed(T.HELP if who.kind == "deputy" else T.UNIT_HELP if who.kind == "unit" else T.WELCOME)
        if isinstance(said, D.Text):
            found = commands.find(said.text, who.kind)
            if found is not None:
                command, match = found
                if command.pure:
                    return Fixed((await command.handler(self._ask(msg.from_user, who), match)).text)
                return Word(command, match)
        if who.kind != "deputy":
            return Fixed(T.PLEASE_BIND if not who.bound else T.UNIT_UNKNOWN)
        current = D.Dialogue(stored.state, stored.data)
        facts = await self._facts(session, who, current, said)
        return Stepped(said, D.step(current, said, facts))

    def _ask(self, openid: str, who) -> commands.Ask:
        return commands.Ask(openid, who, self.engine, self.settings)

    async def _facts(self, session, who, current: D.Dialogue, said, ref: Optional[str] = None) -> D.Facts:
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
    async def _word(self, route: Word, openid: str, who) -> tuple[Optional[D.Dialogue], str, bool]:
        try:
            reply = await route.command.handler(self._ask(openid, who), route.match)
        except WorkflowError as exc:
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
                    await desk.attach_photo(self.db, who.key, ref, photo["media_id"], photo["url"], photo["msg_id"])
                return D.Done(intent, {"ref": ref})
            if isinstance(intent, D.Revise):
                await engine.perform(intent.ref, "revise", actor, dict(intent.fields))
            elif isinstance(intent, D.Consult):
                await engine.perform(intent.ref, "request_consultation", actor, {"question": intent.question})
            elif isinstance(intent, D.Submit):
                result = await engine.perform(intent.ref, "submit", actor)
                return D.Done(intent, {"number": result.proposal.number, "title": result.proposal.title})
            elif isinstance(intent, D.Attach):
                photo = intent.photo
                count = await desk.attach_photo(self.db, who.key, intent.ref, photo.media_id, photo.url, photo.msg_id)
                return D.Done(intent, {"count": count})
            elif isinstance(intent, D.Resume):
                async with self.db.read() as session:
                    view = await desk.draft_view(session, who.key, intent.ref)
                if not view.editable:
                    return D.Failed(intent, T.draft_gone(view))
                return D.Done(intent, {"ref": view.ref})
        except WorkflowError as exc:
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
            removed = await bot_support.purge_messages(self.db)
        except Exception:  # noqa: BLE001 - housekeeping only; tried again later
            log.exception("purging old delivery records failed")
            return
        if removed:
            log.info("purged %d old delivery records", removed)


def _said(msg: Inbound) -> Union[D.Said, Fixed, str, None]:
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
            return "subscribe"
        return Fixed(None)
    return Fixed(T.UNSUPPORTED)
