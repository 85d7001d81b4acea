"""The deputy's words for the public card (亮身份, docs/deputy-card.md):

- 我的名片                      what the card shows now, its link /d/<number>, how to change it
- 名片 显示电话 是|否           the deputy's own phone (hidden until the deputy says 是)
- 名片 显示工作单位 是|否       名片 显示履职 是|否       名片 显示值班 是|否
- 名片 公开 是|否               the whole card (and the 代表码's opinion form)
- 名片 转接电话 <号码>|无       a relay number shown instead of the station's
Each change is workflow/usecases/deputy_cards.py update_card (a system event); bot/commands.py lists these
words first.
"""
from __future__ import annotations

import re
from typing import Optional

from workflow.readmodels.deputy_card import card_settings
from workflow.usecases.deputy_cards import ensure_card_of, update_card

from .asks import DEPUTY, Ask, Command, Reply

# The word after 名片 -> the card's setting and how the deputy reads it.
SETTINGS_WORDS = {"显示电话": "show_phone", "显示个人电话": "show_phone", "显示工作单位": "show_work_unit",
                  "显示单位": "show_work_unit", "显示履职": "show_record", "显示值班": "show_duty", "公开": "published"}
LABELS = {"show_phone": "个人电话", "show_work_unit": "工作单位", "show_record": "履职情况", "show_duty": "值班安排"}
YES, NO = ("是", "显示", "公开", "开"), ("否", "不显示", "不公开", "关")
USAGE = ("修改名片请发送：\n名片 显示电话 是（或 否）\n名片 显示工作单位 是|否\n名片 显示履职 是|否\n名片 显示值班 是|否\n"
         "名片 公开 是|否\n名片 转接电话 0734-1234567（不用请发“名片 转接电话 无”）")
NO_DEPUTY = "找不到您的代表信息，请联系工作人员。"


def _shown(value: bool) -> str:
    return "显示" if value else "不显示"


def describe(view: dict) -> str:
    """What the card shows now, in the chat's words."""
    lines = ["您的公开名片（亮身份）：", f"链接：{view['url']}" if view["url"] else "",
             "状态：已公开" if view["published"] else
             "状态：未公开（群众打不开您的名片，也不能扫您的代表码留言）"]
    for name, label in LABELS.items():
        note = ""
        if name == "show_phone" and not view["has_phone"]:
            note = "（名册未登记您的电话）"
        if name == "show_work_unit" and not view["has_work_unit"]:
            note = "（名册未登记工作单位）"
        lines.append(f"· {label}：{_shown(view[name])}{note}")
    lines.append(f"· 转接电话：{view['relay_phone'] or '无'}（群众拨打的电话：有转接电话用转接电话，否则用联络站电话）")
    if view["code"]:
        lines.append(f"代表码：{view['code']}（印在代表牌的二维码里，群众扫码给您留言）")
    return "\n".join(line for line in lines if line)


async def _view(ask: Ask) -> Optional[dict]:
    await ensure_card_of(ask.db, ask.who.key)
    async with ask.db.read() as session:
        return await card_settings(session, ask.who.key, ask.settings.server.public_url)


async def my_card(ask: Ask, m: re.Match) -> Reply:
    view = await _view(ask)
    if view is None:
        return Reply(NO_DEPUTY)
    return Reply(describe(view) + "\n\n" + USAGE)


async def set_flag(ask: Ask, m: re.Match) -> Reply:
    name, value = SETTINGS_WORDS[m.group("what")], (m.group("value") or "").strip()
    if value not in YES + NO:
        return Reply(f"请在“名片 {m.group('what')}”后面写“是”或“否”。\n" + USAGE)
    await update_card(ask.db, ask.who.key, {name: value in YES}, ask.actor)
    view = await _view(ask)
    if name == "published":
        done = "名片已公开。" if value in YES else "名片已停止公开：群众打不开您的名片，也不能扫您的代表码留言。"
    else:
        done = f"已设置：名片{_shown(value in YES)}{LABELS[name]}。"
    return Reply(done + "\n\n" + describe(view))


async def set_relay(ask: Ask, m: re.Match) -> Reply:
    value = (m.group("value") or "").strip()
    if not value:
        return Reply("请在“名片 转接电话”后面写号码，例如：名片 转接电话 0734-1234567；不用转接电话请写“无”。")
    phone = "" if value in ("无", "没有", "删除", "取消") else value
    await update_card(ask.db, ask.who.key, {"relay_phone": phone}, ask.actor)
    done = f"已设置转接电话：{phone}。" if phone else "已取消转接电话。"
    return Reply(done + "\n\n" + describe(await _view(ask)))


_WHAT = "|".join(sorted(SETTINGS_WORDS, key=len, reverse=True))  # 显示工作单位 before 显示单位...
CARD_COMMANDS = [
    Command(re.compile(r"^(?:我的)?名片$"), DEPUTY, my_card),
    Command(re.compile(rf"^名片\s*(?P<what>{_WHAT})\s*(?P<value>\S*)$"), DEPUTY, set_flag),
    Command(re.compile(r"^名片\s*转接电话\s*(?P<value>.*)$"), DEPUTY, set_relay),
]
