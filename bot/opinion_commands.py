"""The deputy's words for citizens' opinions (群众意见) collected at the station or in the street:

- 收集意见 <what the person said>   (optional lines 群众：称呼、电话：…、渠道：走访|接待日|电话|微信, 不公开：否)
- 群众意见                           the opinions waiting for the deputy, with their receipt numbers
- 答复意见 <回执号> <答复>           answer one (the citizen is told and may rate it)
- 转办意见 <回执号> <单位代码> [说明] refer one to a unit or township (signed link, due date from settings)
- 意见转建议 <回执号> [回执号...]    one draft proposal from them ("继续" edits it, "确认提交" submits it)
Each calls the opinion engine (workflow/engine/opinions.py); its refusals come back as its own words.
"""
from __future__ import annotations

import re

from bot.asks import DEPUTY, Ask, Command, Reply
from workflow.domain.opinions import CHANNELS
from workflow.engine.opinions import OpinionEngine
from workflow.readmodels import opinions as views

_CHANNEL_IDS = {label: key for key, label in CHANNELS.items()}
_LINE = re.compile(r"^(群众|称呼|姓名|电话|渠道|不公开)[:：]\s*(.*)$")
COLLECT_USAGE = ("收集意见的格式：\n收集意见 群众反映的内容\n（可另起一行写：群众：称呼、电话：号码、渠道：走访/接待日/电话/微信）\n"
                 "例如：\n收集意见 村口路灯坏了三个月\n群众：王大爷\n电话：13900000000")


def _fields(body: str) -> dict:
    text_lines, fields = [], {"channel": "visit", "hide_from_units": True}
    for line in body.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            text_lines.append(line)
            continue
        key, value = match.group(1), match.group(2).strip()
        if key in ("群众", "称呼", "姓名"):
            fields["citizen_name"] = value
        elif key == "电话":
            fields["citizen_phone"] = value
        elif key == "渠道":
            fields["channel"] = _CHANNEL_IDS.get(value, value)
        else:
            fields["hide_from_units"] = value not in ("否", "no", "可以公开")
    fields["text"] = "\n".join(text_lines).strip()
    return fields


async def collect(ask: Ask, m: re.Match) -> Reply:
    body = (m.group("body") or "").strip()
    if not body:
        return Reply(COLLECT_USAGE)
    result = await OpinionEngine(ask.engine).receive(ask.actor, _fields(body))
    return Reply(f"已登记群众意见，回执号 {result.opinion.receipt}（请告诉群众，凭它在代表码页面查询进度）。\n"
                 f"可回复：答复意见 {result.opinion.receipt} 答复内容；转办意见 {result.opinion.receipt} 单位代码；"
                 f"意见转建议 {result.opinion.receipt}。")


async def waiting(ask: Ask, m: re.Match) -> Reply:
    async with ask.db.read() as session:
        rows = await views.waiting_for_deputy(session, ask.who.key)
    if not rows:
        return Reply("目前没有待处理的群众意见。")
    lines = [f"{o.receipt}（{o.received_on:%m-%d}）{' '.join(o.text.split())[:40]}" for o in rows]
    return Reply("待处理的群众意见：\n" + "\n".join(lines) +
                 "\n回复“答复意见 回执号 内容”“转办意见 回执号 单位代码”或“意见转建议 回执号 回执号”。")


async def answer(ask: Ask, m: re.Match) -> Reply:
    result = await OpinionEngine(ask.engine).perform(m.group("receipt"), "answer", ask.actor,
                                                     {"text": (m.group("text") or "").strip()})
    return Reply(f"已答复意见 {result.opinion.receipt}，群众可凭回执号查看并评价。")


async def refer(ask: Ask, m: re.Match) -> Reply:
    result = await OpinionEngine(ask.engine).perform(m.group("receipt"), "refer", ask.actor,
                                                     {"unit": m.group("unit"), "note": (m.group("note") or "").strip()})
    referral = result.opinion.referrals[-1]
    return Reply(f"意见 {result.opinion.receipt} 已转交{referral.unit.name}办理，反馈期限 {referral.due}。")


async def to_proposal(ask: Ask, m: re.Match) -> Reply:
    receipts = (m.group("receipts") or "").replace("，", " ").replace(",", " ").replace("、", " ").split()
    if not receipts:
        return Reply("请写明回执号，例如：意见转建议 ACDE3479KM FGHJ4679LN")
    created, _results = await OpinionEngine(ask.engine).to_proposal(ask.actor, receipts, {})
    proposal = created.proposal
    return Reply(f"已根据 {len(receipts)} 条群众意见生成建议草稿 {proposal.ref}：《{proposal.title}》。\n"
                 "回复“继续”查看和修改草稿，改好后回复“确认提交”。建议答复后，系统会告诉反映意见的群众。")


RECEIPT = r"(?P<receipt>[A-Za-z0-9]{6,16})"
OPINION_COMMANDS = [
    Command(re.compile(r"^收集意见(?:[\s:：]+(?P<body>.*))?$", re.S), DEPUTY, collect),
    Command(re.compile(r"^(?:群众意见|我的意见)$"), DEPUTY, waiting),
    Command(re.compile(rf"^答复意见\s+{RECEIPT}\s+(?P<text>.+)$", re.S), DEPUTY, answer),
    Command(re.compile(rf"^转办意见\s+{RECEIPT}\s+(?P<unit>[A-Za-z0-9_.-]{{1,32}})(?:\s+(?P<note>.*))?$", re.S),
            DEPUTY, refer),
    Command(re.compile(r"^意见转建议(?:\s+(?P<receipts>[A-Za-z0-9 ,，、]+))?$"), DEPUTY, to_proposal),
]
