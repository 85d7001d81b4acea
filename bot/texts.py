"""Every text the bot shows, in one place: short, friendly, and always saying what to send next."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional, Sequence

from workflow.domain import words
from workflow.domain.definition import STATES

# WeChat shows at most about 2048 bytes of a passive text reply; stay well inside.
MAX_BYTES = 2000
EXCERPT = 80

HELP = """您好！我是人大代表建议助手，可以这样用：
· 提建议：一步步起草建议（可发照片作佐证）
· 确认提交：提交当前草稿，获得编号
· 我的建议：查看建议和办理期限
· 进度 2025-001：查看一件建议的办理情况
· 评价 2025-001 满意（或 基本满意、不满意 理由）
· 确认联名 d12：同意联名别的代表的建议
· 加入联名 2025-001：别的代表已提出相同的建议，交办前可加入其联名
· 撤回 2025-001 理由：交办前撤回建议（再回复“确认撤回”才生效）
· 同意撤回 2025-001 ／ 不同意撤回 2025-001 理由：答复领衔代表撤回联名建议的申请
· 继续：回到未写完的草稿；放弃：放弃草稿
· 我的名片：查看和设置公开名片（亮身份），如“名片 显示电话 是”
· 收集意见 群众反映的内容：登记群众意见（给出回执号）；群众意见：待处理的意见；答复意见 / 转办意见 / 意见转建议 回执号
· 民生实事建议 项目名称（另起一行写内容）：征集期内提出民生实事项目建议
· 解绑：解除微信与代表身份的绑定
熟练后也可一次发完：
提建议
标题：……
内容：……
类别：教育
联名：李四、王五"""

UNIT_HELP = """您已绑定为承办单位联络员，可以这样用：
· 我的交办：查看本单位正在办理的建议和办理链接
· 解绑：解除绑定
签收、答复等请打开办理链接操作。"""

def welcome() -> str:
    return (f"欢迎关注！代表请发送“绑定 绑定码”完成身份绑定（绑定码由{words.staff_body()}提供），"
            "之后即可在这里提建议、查进度、作评价。")


def please_bind() -> str:
    return f"您还没有绑定身份。请发送“绑定 绑定码”，例如：绑定 ABCD2345（绑定码由{words.staff_body()}提供）。"
ASK_CODE = "请在“绑定”后面加上绑定码，例如：绑定 ABCD2345。"
UNSUPPORTED = "目前只能处理文字和图片消息。发送“帮助”查看用法。"
UNKNOWN = "没有听懂您的意思。发送“提建议”开始写建议，发送“我的建议”查看进度，发送“帮助”查看全部用法。"
UNIT_UNKNOWN = "联络员可以发送“我的交办”查看本单位的办理链接，发送“帮助”查看用法。"
BUSY = "系统正忙，您的消息没有处理成功，请稍后再发一次。"
CONFLICT = "您的上一条消息还在处理中，请稍等片刻后发送“继续”查看草稿。"

ASK_TITLE = "好的，我们一步步来。\n第 1 步：请发送建议的标题，一句话概括要解决的问题（200 字以内）。\n随时发送“放弃”可取消。"
ASK_CONTENT = "第 2 步：请发送建议的内容：反映什么问题、原因是什么、具体建议怎么做。"
ASK_COSIGNERS = "第 4 步：需要其他代表联名吗？请发送联名代表的姓名或代表证号，多位用“、”隔开；不需要请回复“无”。\n（发送现场照片可作为佐证材料。）"
TITLE_EMPTY = "标题不能为空，请发送建议的标题。"
CONTENT_EMPTY = "内容不能为空，请发送建议的内容。"
PHOTO_OUTSIDE = "收到照片。如需作为建议的佐证材料，请先发送“提建议”开始起草，再发送照片。"
NO_DRAFT = "您没有待提交的草稿。发送“提建议”开始写一件新建议。"
NOT_FINISHED = "草稿还没写完，写完后才能提交。"
NO_OPEN_DRAFT = "您没有未写完的草稿。发送“提建议”开始写一件新建议。"
ABANDON_CANCELLED = "好的，没有放弃，我们继续。"
ASK_QUESTION = "请简要写下想与工作人员沟通的问题（例如“这个问题该找哪个部门”）；没有具体问题请回复“无”。"
CONSULT_SENT = "已把草稿发给人大工作人员征求意见（提出前沟通）。意见回复后会在这里通知您；您也可以不等意见，直接发送“确认提交”。"
REVIEW_HINT = "回复：确认提交 ｜ 申请沟通 ｜ 修改标题 ｜ 修改内容 ｜ 修改类别 ｜ 放弃"
NONE_WORDS = ("无", "没有", "不需要", "不用", "否", "无联名")
FORM_EXAMPLE = "提建议\n标题：关于修缮城关小学校舍的建议\n内容：城关小学教学楼……建议……\n类别：教育\n联名：李四、王五"


def clip(text: str, limit: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "……"


def fit(text: str) -> str:
    """Cut a reply to what WeChat shows in one message."""
    data = text.encode("utf-8")
    if len(data) <= MAX_BYTES:
        return text
    tail = "\n……（内容较长，请发送“我的建议”或打开链接查看）"
    room = MAX_BYTES - len(tail.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + tail


def day(value: Optional[dt.date]) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


# ---------------------------------------------------------------- binding
def bound_deputy(name: str, number: str) -> str:
    return f"绑定成功！{name}代表（{number}），您好。\n发送“提建议”开始写建议，发送“帮助”查看全部用法。"


def bound_unit(name: str) -> str:
    return f"绑定成功！您已成为{name}的联络员，本单位的交办通知和办理链接会发到这里。发送“我的交办”查看。"


def unbound(was_name: str) -> str:
    if not was_name:
        return "您还没有绑定身份，无需解绑。"
    return f"已解除与“{was_name}”的绑定。如需重新绑定，请发送“绑定 绑定码”。"


# ---------------------------------------------------------------- drafting
def ask_category(categories: Sequence[str]) -> str:
    choices = "  ".join(f"{i} {name}" for i, name in enumerate(categories, 1))
    return f"第 3 步：请选择类别，回复序号：\n{choices}\n不确定可回复“跳过”，由工作人员确定。"


def content_added(categories: Sequence[str]) -> str:
    return f"已把这段话接在内容后面。内容写完了吗？写完请选类别，没写完可以接着发。\n{ask_category(categories)}"


def bad_category(categories: Sequence[str]) -> str:
    return f"没有这个类别。{ask_category(categories)}"


def too_long(label: str, limit: int) -> str:
    return f"{label}太长了（最多 {limit} 字），请精简后重新发送。"


def names_not_found(names: Iterable[str]) -> str:
    listed = "、".join(f"“{n}”" for n in names)
    return f"代表名册中没有找到{listed}，请检查姓名，或改用代表证号重新发送；不需要联名请回复“无”。"


def pick_one(token: str, choices: Sequence[Sequence[str]]) -> str:
    lines = [f"名叫“{token}”的代表有 {len(choices)} 位，请回复序号选择："]
    lines += [f"{i}. {name}（{number}{'，' + delegation if delegation else ''}）"
              for i, (number, name, delegation) in enumerate(choices, 1)]
    lines.append("都不是请回复 0。")
    return "\n".join(lines)


SELF_COSIGN = "联名代表不用填写您本人。"


def photo_kept(count: int) -> str:
    return f"照片已收到，将作为佐证材料（共 {count} 张）。"


def photo_saved(count: int) -> str:
    return f"照片已保存为这件建议的佐证材料（共 {count} 张）。"


TOO_MANY_PHOTOS = "每件建议最多附 9 张照片，这张没有保存。"


def summary(draft) -> str:
    """A draft as the deputy reviews it before submitting."""
    lines = [f"草稿 {draft.ref}（{_state(draft.state)}）",
             f"标题：{draft.title}", f"类别：{draft.category or '待工作人员确定'}", f"内容：{clip(draft.content)}"]
    if draft.co_signers:
        lines.append("联名：" + "、".join(f"{n}（{'已确认' if ok else '待确认'}）" for n, ok in draft.co_signers))
    if draft.photos:
        lines.append(f"佐证照片：{draft.photos} 张")
    for who, advice in draft.advice:
        lines.append(f"沟通意见（{who}）：{clip(advice, 300)}")
    if draft.awaiting_advice:
        lines.append("已申请提出前沟通，正在等待意见。")
    if getattr(draft, "similar", ()):
        lines += similar_lines(draft.similar)
    return "\n".join(lines)


def similar_lines(hints) -> list[str]:
    """The similar proposals a drafting deputy is shown, and what they may do instead of submitting."""
    lines = ["⚠ 已有内容相近的建议："]
    for h in hints:
        lines.append(f"· {h.number}《{clip(h.title, 30)}》（{h.state_label}，相似度 {h.score:.2f}）")
        if h.reply:
            lines.append(f"  已公开的答复：{h.reply}")
    joinable = [h.number for h in hints if h.joinable]
    if joinable:
        lines.append(f"内容相同的，可回复“加入联名 {joinable[0]}”加入其联名，再回复“放弃”放弃本草稿；")
    else:
        lines.append("内容相同的，可回复“放弃”放弃本草稿；")
    lines.append("仍要提出的，照常回复“确认提交”。")
    return lines


def cosign_status(draft) -> str:
    """Which co-signers were asked to confirm, and which could not be reached (not bound to WeChat)."""
    waiting = [name for name, ok in draft.co_signers if not ok]
    if not waiting:
        return ""
    unreachable = [name for name in waiting if name in draft.unreachable]
    reached = [name for name in waiting if name not in draft.unreachable]
    lines = []
    if reached:
        lines.append(f"已通知{'、'.join(reached)}确认联名。")
    if unreachable:
        lines.append(f"{'、'.join(unreachable)}还没有绑定微信，无法通知：请您当面告知，或请人大工作人员"
                     f"凭其签名的书面材料登记确认。")
    lines.append("只有确认了的代表才作为联名代表。")
    return "\n".join(lines)


def draft_created(draft) -> str:
    cosign = cosign_status(draft)
    return f"草稿已保存。{chr(10) + cosign if cosign else ''}\n{summary(draft)}\n\n确认无误请回复“确认提交”。\n{REVIEW_HINT}"


def revised(draft) -> str:
    return f"已修改。\n{summary(draft)}\n\n{REVIEW_HINT}"


def review(draft) -> str:
    return f"{summary(draft)}\n\n{REVIEW_HINT}"


def submitted(number: str, title: str, draft=None, official: str = "") -> str:
    cosign = cosign_status(draft) if draft is not None else ""
    official = f"（{official}）" if official else ""
    return (f"建议已提交，编号 {number}{official}。\n《{title}》\n人大工作人员审核后会通知您；"
            f"随时发送“进度 {number}”查看办理情况。" + (f"\n{cosign}" if cosign else ""))


def ask_abandon(what: str) -> str:
    return f"确定放弃{what}吗？回复“确定”放弃，回复其他内容继续编辑。"


def abandoned(ref: Optional[str]) -> str:
    if ref:
        return f"好的，已放下草稿 {ref}。它仍保存在“我的建议”中，需要时发送“继续 {ref}”找回。"
    return "好的，已放弃。需要时发送“提建议”重新开始。"


def choose(what: str) -> str:
    return f"您有一份未完成的草稿{what}。回复“继续”接着写，回复“新建”另起一份（原草稿仍会保留）。"


def which_draft(drafts) -> str:
    lines = ["您有未提交的草稿。要提交哪一份，请先发送“继续 编号”打开它，再回复“确认提交”："]
    lines += [f"{d.ref}《{clip(d.title, 30) or '（无标题）'}》" for d in drafts[:10]]
    return "\n".join(lines)


def draft_gone(draft) -> str:
    if draft is None:
        return "原来的草稿找不到了。发送“提建议”重新开始，或发送“我的建议”查看。"
    return f"草稿 {draft.ref} 现在的状态是“{_state(draft.state)}”，不能再编辑。发送“进度 {draft.number or draft.ref}”查看。"


def form_incomplete() -> str:
    return f"一次性提建议时，请至少写明标题和内容，格式如下：\n{FORM_EXAMPLE}\n也可以只发送“提建议”，按提示一步步填写。"


# ---------------------------------------------------------------- following proposals
def my_list(lines, total: int) -> str:
    if not lines:
        return "您还没有建议。发送“提建议”开始写第一件。"
    rows = [f"您共有 {total} 件建议" + (f"，以下是最近 {len(lines)} 件：" if total > len(lines) else "：")]
    for line in lines:
        due = f"，{line.due_label} {day(line.due)}" if line.due else ""
        rows.append(f"{line.ref}《{clip(line.title, 24) or '（无标题）'}》{line.role}，{line.state_label}{due}")
    rows.append("发送“进度 编号”查看详情。")
    return "\n".join(rows)


ACTION_HINTS = {
    "evaluate_reply": "请评价答复：评价 {ref} 满意 ／ 基本满意 ／ 不满意 理由",
    "evaluate_implementation": "请评价落实情况：评价 {ref} 满意 ／ 基本满意 ／ 不满意 理由",
    "withdraw": "如需撤回：撤回 {ref} 理由",
    "consent_withdrawal": "领衔代表申请撤回：同意请回复“同意撤回 {ref}”，不同意请回复“不同意撤回 {ref} 理由”",
    "confirm_cosign": "同意联名请回复：确认联名 {ref}",
    "submit": "提交请回复：继续 {ref}，再回复“确认提交”",
}


def progress(view) -> str:
    rows = [f"{view.ref}{'（' + view.official + '）' if view.official else ''}《{view.title}》", f"状态：{view.state_label}" + ("（重点督办）" if view.key_supervision else "")]
    for unit in view.units:
        due = f"，答复期限 {day(unit.due)}" if unit.due else ""
        rows.append(f"{unit.role}：{unit.unit}（{unit.state}{due}）")
    for reply in view.replies[-2:]:
        rows.append(f"答复（{reply.unit}，{day(reply.at)}）：{reply.category} {clip(reply.text, 120)}")
    label, due = view.next_due
    if due:
        rows.append(f"{label}：{day(due)}")
    rows += [ACTION_HINTS[a].format(ref=view.ref) for a in view.allowed if a in ACTION_HINTS]
    return "\n".join(rows)


def rated(action: str, ref: str, rating_label: str, to_state_label: str, implementation_open: bool = False) -> str:
    what = "答复" if action == "evaluate_reply" else "落实情况"
    text = f"已记录您对建议 {ref} {what}的评价：{rating_label}。当前状态：{to_state_label}。感谢您的监督！"
    if implementation_open:  # an A reply: what was done is asked separately, never inferred
        text += f"\n单位答复问题已解决，请再评价落实情况：评价 {ref} 满意 ／ 基本满意 ／ 不满意 理由。"
    return text


RATE_USAGE = "评价的格式：评价 2025-001 满意（或 基本满意；不满意请写理由：评价 2025-001 不满意 还没有开工）。"
WITHDRAW_USAGE = "撤回的格式：撤回 2025-001 理由。"
NO_WITHDRAWAL_PENDING = "没有待确认的撤回。如需撤回，请发送：撤回 编号 理由。"


def withdraw_needs_reason(ref: str) -> str:
    return f"撤回建议须写明理由，例如：撤回 {ref} 问题已经解决。"


def ask_withdraw(ref: str, title: str, reason: str, needs_consent: bool) -> str:
    consent = "\n这是联名建议，撤回须经联名代表同意：确认后会请他们表态。" if needs_consent else ""
    return (f"确认撤回建议 {ref}《{clip(title, 30)}》吗？\n理由：{clip(reason, 200)}{consent}\n"
            f"确认撤回？确认请回复“确认撤回”；不撤回请回复其他内容。")


def withdrawal_requested(ref: str, waiting: str) -> str:
    return f"已请联名代表（{waiting}）同意撤回建议 {ref}。全部同意后建议即撤回；有人不同意的，会通知您。"


def withdrawal_consented(ref: str, withdrawn: bool) -> str:
    if withdrawn:
        return f"您已同意撤回。联名代表都已同意，建议 {ref} 已撤回。"
    return f"您已同意撤回建议 {ref}，正在等待其他联名代表。"


def withdrawal_refused(ref: str) -> str:
    return f"您不同意撤回建议 {ref}，撤回申请已取消，会告知领衔代表。"


def withdrawal_list(items) -> str:
    if not items:
        return "目前没有等待您表态的撤回申请。"
    rows = ["以下联名建议的领衔代表申请撤回，请回复“同意撤回 编号”或“不同意撤回 编号 理由”："]
    rows += [f"{ref}《{clip(title, 30)}》（{lead}代表领衔）" for ref, title, lead in items]
    return "\n".join(rows)
PROGRESS_USAGE = "查看进度的格式：进度 2025-001。发送“我的建议”可查看全部编号。"


def withdrawn(ref: str) -> str:
    return f"建议 {ref} 已撤回。"


def cosigned(ref: str, title: str) -> str:
    return f"已确认联名建议 {ref}《{title}》。感谢您的支持！"


def joined(ref: str, title: str, draft_ref: str = "") -> str:
    after = f"\n您的草稿 {draft_ref} 还在：不再需要请回复“放弃”，仍要提出请回复“确认提交”。" if draft_ref else ""
    return f"已加入联名建议 {ref}《{title}》，答复将同时送达您。{after}"


def cosign_list(items) -> str:
    if not items:
        return "目前没有等待您确认的联名邀请。"
    rows = ["以下建议邀请您联名，请回复“确认联名 编号”确认："]
    rows += [f"{ref}《{clip(title, 30)}》（{lead}代表领衔）" for ref, title, lead in items]
    return "\n".join(rows)


def unit_list(lines) -> str:
    if not lines:
        return "本单位目前没有正在办理的建议。"
    rows = ["本单位正在办理的建议（点击链接办理）："]
    rows += [f"{a.ref}《{clip(a.title, 24)}》{a.role}，{a.state_label}"
             + (f"，答复期限 {day(a.due)}" if a.due else "") + f"\n{a.link}" for a in lines]
    return "\n".join(rows)


def _state(state: str) -> str:
    return STATES.get(state, state)
