"""Words and menu keys -> handlers. Each handler calls one workflow service and turns the result into text.

The guided drafting (提建议, 确认提交, 放弃, 继续, photos...) is bot/dialogue.py; the words here work the
same in any state of it. A word's handler runs only for the identities listed with it.
"""
from __future__ import annotations

import re
from typing import Optional

from workflow.domain.definition import RATINGS, STATES
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.readmodels import desk
from workflow.usecases import binding, deputy_actions

from . import texts as T
from .asks import ANYONE, DEPUTY, UNIT, Ask, Command, Handler, Reply  # noqa: F401 (the words' API)
from .dialogue import Dialogue
from .opinion_commands import OPINION_COMMANDS
from .project_commands import PROJECT_COMMANDS

# The custom menu (wechat menu): each key does what its word does.
MENU = [("提建议", "PROPOSE"), ("我的建议", "MY_PROPOSALS"), ("帮助", "HELP")]
MENU_WORDS = {key: word for word, key in MENU}
RATING_IDS = {label: key for key, label in RATINGS.items()}
_RATE = re.compile(r"^(?P<ref>\d{4}-\d{1,6}|d\d{1,12})\s*(?:(?P<unit>[A-Za-z0-9_.-]{1,32})\s*)?"
                   r"(?P<rating>基本满意|不满意|满意)[\s，,。:：]*(?P<reason>.*)$", re.S)


# What a word's handler gets and gives: bot/asks.py (shared with the opinion and card words).


# ---------------------------------------------------------------- handlers
async def bind(ask: Ask, m: re.Match) -> Reply:
    if not m.group("code"):
        return Reply(T.ASK_CODE)
    who = await binding.bind(ask.db, ask.openid, m.group("code"))
    if who.kind == "deputy":
        return Reply(T.bound_deputy(who.name, who.key), Dialogue())
    return Reply(T.bound_unit(who.name), Dialogue())


async def unbind(ask: Ask, m: re.Match) -> Reply:
    was = await binding.unbind(ask.db, ask.openid)
    return Reply(T.unbound(was.name), forget_dialogue=True)


async def help_(ask: Ask, m: re.Match) -> Reply:
    return Reply({"deputy": T.HELP, "unit": T.UNIT_HELP}.get(ask.who.kind, T.please_bind()))


async def my_proposals(ask: Ask, m: re.Match) -> Reply:
    async with ask.db.read() as session:
        lines, total = await desk.my_proposals(session, ask.settings, ask.who.key)
    return Reply(T.my_list(lines, total))


async def progress(ask: Ask, m: re.Match) -> Reply:
    if not m.group("ref"):
        return Reply(T.PROGRESS_USAGE)
    async with ask.db.read() as session:
        view = await desk.progress(session, ask.engine, ask.who.key, m.group("ref"))
    return Reply(T.progress(view))


async def rate(ask: Ask, m: re.Match) -> Reply:
    parts = _RATE.match((m.group("rest") or "").strip())
    if parts is None:
        return Reply(T.RATE_USAGE)
    label = parts.group("rating")
    action, result = await deputy_actions.rate(ask.engine, ask.who.key, ask.who.name, parts.group("ref"), RATING_IDS[label],
                                     parts.group("reason").strip(), parts.group("unit") or "")
    open_now = action == "evaluate_reply" and "evaluate_implementation" in ask.engine.allowed_actions(
        result.proposal, Actor("deputy", ask.who.key, ask.who.name))
    return Reply(T.rated(action, result.proposal.ref, label, STATES[result.to_state], open_now))


PENDING_WITHDRAWAL = "withdrawal"  # the dialogue's key for a withdrawal asked about (确认撤回？)


async def withdraw(ask: Ask, m: re.Match) -> Reply:
    """撤回 编号 理由: the engine is asked whether it may be withdrawn, then the deputy is asked to confirm."""
    ref = m.group("ref")
    if not ref:
        return Reply(T.WITHDRAW_USAGE)
    reason = (m.group("reason") or "").strip()
    async with ask.db.read() as session:  # someone else's proposal answers as an unknown number does
        proposal = await desk.own_proposal(session, ask.who.key, ref)
    try:  # not confirmed yet: the engine refuses only for that if everything else allows the withdrawal
        await ask.engine.perform(ref, "withdraw", ask.actor, {"reason": reason})
    except InvalidInput as exc:
        if exc.details.get("field") == "reason":
            return Reply(T.withdraw_needs_reason(proposal.ref))
        if exc.details.get("field") != "confirm":
            raise
    needs_consent = ask.settings.workflow.withdraw_needs_co_signer_consent and any(
        c.confirmed_at is not None for c in proposal.co_signers)
    pending = {**ask.dialogue.data, PENDING_WITHDRAWAL: {"ref": proposal.ref, "reason": reason}}
    return Reply(T.ask_withdraw(proposal.ref, proposal.title, reason, needs_consent),
                 Dialogue(ask.dialogue.state, pending))


async def confirm_withdraw(ask: Ask, m: re.Match) -> Reply:
    """确认撤回: the withdrawal asked about last, now confirmed."""
    pending = ask.dialogue.data.get(PENDING_WITHDRAWAL)
    if not isinstance(pending, dict) or (m.group("ref") and m.group("ref") != pending.get("ref")):
        return Reply(T.NO_WITHDRAWAL_PENDING)
    rest = Dialogue(ask.dialogue.state, {k: v for k, v in ask.dialogue.data.items() if k != PENDING_WITHDRAWAL})
    result = await ask.engine.perform(pending["ref"], "withdraw", ask.actor,
                                      {"reason": pending["reason"], "confirm": True})
    if result.to_state == "withdrawn":
        return Reply(T.withdrawn(result.proposal.ref), rest)
    return Reply(T.withdrawal_requested(result.proposal.ref, result.event.payload.get("waiting", "")), rest)


async def _withdrawal_ref(ask: Ask, m: re.Match) -> tuple[Optional[str], Optional[Reply]]:
    ref = m.group("ref")
    if ref:
        return ref, None
    async with ask.db.read() as session:
        waiting = await desk.pending_withdrawals(session, ask.who.key)
    if len(waiting) != 1:
        return None, Reply(T.withdrawal_list(waiting))
    return waiting[0][0], None


async def consent_withdrawal(ask: Ask, m: re.Match) -> Reply:
    ref, listed = await _withdrawal_ref(ask, m)
    if listed is not None:
        return listed
    result = await ask.engine.perform(ref, "consent_withdrawal", ask.actor)
    return Reply(T.withdrawal_consented(result.proposal.ref, result.to_state == "withdrawn"))


async def refuse_withdrawal(ask: Ask, m: re.Match) -> Reply:
    ref, listed = await _withdrawal_ref(ask, m)
    if listed is not None:
        return listed
    reason = (m.group("reason") or "").strip()
    result = await ask.engine.perform(ref, "refuse_withdrawal", ask.actor, {"reason": reason})
    return Reply(T.withdrawal_refused(result.proposal.ref))


async def confirm_cosign(ask: Ask, m: re.Match) -> Reply:
    ref = m.group("ref")
    if not ref:
        async with ask.db.read() as session:
            waiting = await desk.pending_cosigns(session, ask.who.key)
        if len(waiting) != 1:
            return Reply(T.cosign_list(waiting))
        ref = waiting[0][0]
    result = await ask.engine.perform(ref, "confirm_cosign", ask.actor)
    return Reply(T.cosigned(result.proposal.ref, result.proposal.title))


async def join_cosign(ask: Ask, m: re.Match) -> Reply:
    """加入联名 2026-004: instead of raising the same matter again (offered with the similar-proposals warning)."""
    result = await ask.engine.perform(m.group("ref"), "join_cosign", ask.actor)
    drafting = ask.dialogue.data.get("ref", "")  # the draft under review, if any: the deputy decides about it
    return Reply(T.joined(result.proposal.number or result.proposal.ref, result.proposal.title, drafting))


async def unit_assignments(ask: Ask, m: re.Match) -> Reply:
    async with ask.db.read() as session:
        lines = await desk.unit_assignments(session, ask.settings, ask.who.key)
    return Reply(T.unit_list(lines))


REF = r"(?:\d{4}-\d{1,6}|d\d{1,12})"  # a number (2025-012) or a draft (d12)
# A word with a malformed argument is not taken for the word: "评价体系改革" may be a draft's title.
COMMANDS: list[Command] = [
    Command(re.compile(r"^绑定\s*(?P<code>[A-Za-z0-9]{4,32})?$"), ANYONE, bind),
    Command(re.compile(r"^解绑$"), ANYONE, unbind),
    Command(re.compile(r"^(帮助|help|\?|？|菜单|用法)$", re.I), ANYONE, help_, pure=True),
    Command(re.compile(r"^我的建议$"), DEPUTY, my_proposals),
    Command(re.compile(rf"^(?:进度|查询)(?:\s*(?P<ref>{REF}))?$"), DEPUTY, progress),
    Command(re.compile(rf"^评价(?P<rest>\s*{REF}.*)?$", re.S), DEPUTY, rate),
    Command(re.compile(r"^撤回(?:\s*(?P<ref>\d{4}-\d{1,6})(?:\s+(?P<reason>.*))?)?$", re.S), DEPUTY, withdraw),
    Command(re.compile(r"^确认撤回(?:\s*(?P<ref>\d{4}-\d{1,6}))?$"), DEPUTY, confirm_withdraw),
    Command(re.compile(r"^同意撤回(?:\s*(?P<ref>\d{4}-\d{1,6}))?$"), DEPUTY, consent_withdrawal),
    Command(re.compile(r"^不同意撤回(?:\s*(?P<ref>\d{4}-\d{1,6}))?(?:\s+(?P<reason>.*))?$", re.S), DEPUTY,
            refuse_withdrawal),
    Command(re.compile(rf"^(?:确认|同意)联名(?:\s*(?P<ref>{REF}))?$"), DEPUTY, confirm_cosign),
    Command(re.compile(r"^(?:加入联名|改为联名)\s*(?P<ref>\d{4}-\d{1,6})$"), DEPUTY, join_cosign),
    Command(re.compile(r"^(?:我的交办|交办)$"), UNIT, unit_assignments),
    *OPINION_COMMANDS,  # 收集意见, 群众意见, 答复意见, 转办意见, 意见转建议: bot/opinion_commands.py
    *PROJECT_COMMANDS,  # 民生实事建议: bot/project_commands.py
]


def find(text: str, who: str) -> Optional[tuple[Command, re.Match]]:
    """The word `text` starts with, if `who` may use it."""
    word = text.strip().rstrip("。.！!")
    for command in COMMANDS:
        match = command.pattern.match(word)
        if match and who in command.who:
            return command, match
    return None


from bot.card_commands import CARD_COMMANDS  # noqa: E402

COMMANDS[:0] = CARD_COMMANDS
