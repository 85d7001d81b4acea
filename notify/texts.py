"""What each notification says: Chinese text with the number, title, what happened, what to do next, the link."""
from __future__ import annotations

from dataclasses import dataclass

from workflow.domain import words
from workflow.domain.definition import DECISIONS, RATING_LABELS, REPLY_CATEGORIES

# kind -> (what happened, what to do next). {unit}, {reason}, {rating}... come from the event's facts.
TEXTS: dict[str, tuple[str, str]] = {
    "cosign_requested": ("{lead}邀请您联名提出这件建议。", "同意联名请在公众号回复“确认联名 {ref}”。"),
    "consultation_requested": ("代表申请提出前沟通。", "请阅读草稿并提出意见。"),
    "advice_given": ("工作人员对您的草稿提出了意见：{advice}", "请修改后提交，或直接回复“确认提交”。"),
    "proposal_numbered": ("您的建议已提交，编号 {number}。", "人大工作人员将尽快审核。"),
    "new_submission": ("收到一件新建议。", "请在后台审核：立案、退回修改或不作为代表建议处理。"),
    "proposal_accept": ("您的建议已立案。", "将交有关单位办理，届时会通知您。"),
    "proposal_refer": ("您的建议不作为代表建议处理。情形：{reason}；处理方式：{disposition}。{note}",
                       "如有疑问请联系{staff_body}。"),
    "cosign_confirmed": ("{deputy_name}代表已确认联名。", ""),
    "cosign_joined": ("{deputy_name}代表提出的建议与您的相同，已加入联名您的这件建议。", "答复将同时送达联名代表。"),
    "withdrawal_consent_requested": ("{lead}申请撤回这件联名建议。理由：{reason}",
                                     "同意请回复“同意撤回 {ref}”；不同意请回复“不同意撤回 {ref} 理由”。"),
    "withdrawal_consented": ("{deputy_name}代表同意撤回。", "还需等待：{waiting}。全部同意后建议即撤回。"),
    "withdrawal_refused": ("{deputy_name}代表不同意撤回这件建议。{reason}", "撤回申请已取消，建议继续办理。"),
    "proposal_return_for_revision": ("您的建议被退回修改。理由：{reason}", "请修改后重新提交。"),
    "proposal_withdraw": ("建议已撤回。理由：{reason}", "无需再办理。"),
    "proposal_assigned": ("您的建议已交办：{units}。", "承办单位将与您联系，答复期限 {reply_due}。"),
    "new_assignment": ("贵单位收到一件交办建议。", "请在 {sign_due} 前签收；不属于职责范围的请在期限内申请调整。"),
    "adjustment_requested": ("{unit_name}申请调整承办单位：{reason}", "请在 {decision_due} 前在后台改派或不同意调整。"),
    "adjustment_answered": ("贵单位的调整申请已处理。", "请打开链接查看。"),
    "proposal_reassigned": ("您的建议已改派给新的承办单位。", "新单位将与您联系。"),
    "unit_contacted": ("承办单位记录了与您的沟通。", "如与实际不符，请联系人大工作人员。"),
    "co_opinion_received": ("协办单位送来了协办意见。", "请在答复中统筹考虑。"),
    "reply_arrived": ("您的建议已收到答复（{category}）。", "请打开链接阅读答复，并一键评价。"),
    "evaluation_received": ("代表对贵单位的办理作出评价：{rating}。", "请打开链接查看。"),
    "unsatisfied": ("代表对办理结果表示不满意。理由：{reason}", "请在后台跟进。"),
    "rehandling_started": ("建议进入重新办理，期限 {rehandle_due}。", "承办单位须重新办理并再次答复。"),
    "key_supervision_proposed": ("代表两次表示不满意，建议列为重点督办。", "请在后台决定是否列为重点督办。"),
    "progress_reported": ("承办单位报告了落实进展：{percent}%。", "落实完成后会请您评价落实情况。"),
    "replies_so_far": ("您已确认联名。这件建议此前已收到 {replies_so_far} 份答复。", "请打开链接阅读答复。"),
    "second_answer_arrived": ("承办单位对您的建议作出再次答复（{category}）。", "请打开链接阅读。"),
    "implementation_rating_requested": ("请您评价建议的落实情况。", "打开链接即可评价：满意、基本满意或不满意。"),
    "followup_requested": ("代表对落实情况不满意。理由：{reason}", "请在 {followup_due} 前重新作出承诺或再次答复。"),
    "rating_lapsed": ("评价期限已届满，未评价的记为“未反馈”。", "如有意见请联系人大工作人员。"),
    "decision_needed": ("代表对重新办理的答复仍不满意。", "请在后台研究处理：重点督办、当面协商、书面处理意见或说明理由办结。"),
    "decision_made": ("人大工作人员已研究处理：{decision_label}。{text}", "请打开链接查看。"),
    "key_supervision": ("建议已列为重点督办。", "请按重点督办要求办理。"),
    "deadline_extended": ("答复期限已延长至 {due_date}。", "请打开链接查看。"),
    "extension_requested": ("{unit_name}申请延期答复至 {due_date}：{reason}", "请在后台同意或不同意延期。"),
    "extension_approved": ("贵单位的延期申请已同意，答复期限延至 {due_date}。", "请在新的期限内答复。"),
    "extension_refused": ("贵单位的延期申请未获同意：{reason}", "请在原答复期限 {reply_due} 前答复。"),
    "extension_refused_deputy": ("承办单位申请延期答复，未获同意。", "承办单位仍应在 {reply_due} 前答复您。"),
    "proposal_closed": ("建议已办结。", "感谢您的履职。"),
    "reminder_yellow": ("{deadline}将于 {due} 到期（黄牌提醒）。", "请抓紧办理。"),
    "reminder_red": ("{unit}{deadline}已于 {due} 逾期（红牌督办）。", "请督促办理。"),
    "evaluation_reminder": ("您的建议待评价（{deadline} {due}）。", "打开链接即可一键评价；逾期未评价的记为“未反馈”。"),
    "dead_letter": ("有 {count} 条通知多次发送失败，已转入死信队列。", "请在后台查看并重新发送。"),
    "chat_reply": ("{text}", ""),
    # 群众意见 (代表联络站): to the deputy, the unit it is referred to, staff, and the citizen (in WeChat).
    "opinion_received": ("收到一条群众意见。", "请回复“群众意见”查看，可答复、转办或形成建议。"),
    "opinion_answered": ("您反映的意见已有答复。", "请打开链接查看，并评价是否满意。"),
    "opinion_referred": ("转交贵单位办理一条群众意见，请在 {due} 前答复。", "请打开链接查看并答复；不属于本单位职责的可说明理由退回。"),
    "opinion_referred_citizen": ("您反映的意见已转交{unit_name}办理。", "办理后会告诉您结果。"),
    "opinion_unit_answered": ("{unit_name}已答复转办的群众意见。", "请回复“群众意见”查看。"),
    "opinion_sent_back": ("{unit_name}退回了转办的群众意见。理由：{reason}", "请另行答复、转办或告知群众。"),
    "opinion_in_proposal": ("您反映的意见已由代表形成代表建议。", "建议答复后会告诉您。"),
    "opinion_proposal_answered": ("您的意见所形成的代表建议 {proposal} 已由承办单位答复。", "请打开链接查看，并评价是否满意。"),
    "opinion_out_of_remit": ("您反映的事项不属于代表联络站受理范围（{reason}）。", "{where}"),
    "opinion_rated": ("群众对意见的办理作出评价：{rating}。", ""),
    # 民生实事项目: to the responsible unit (its link) and staff.
    "project_voted_in": ("人民代表大会票决通过了这个民生实事项目，由贵单位负责实施。", "开始实施后请通过链接按期报告实施进展。"),
    "project_started": ("民生实事项目已开始实施，请贵单位在 {progress_due} 前报告第一次实施进展。",
                        "请打开链接报告进展（完成百分比、进展情况、照片）；完成后在链接中报告完成。"),
    "project_progress": ("责任单位报告了实施进展：已完成 {percent}%。", "下次报告期限 {next_due}，可在后台查看进展和照片。"),
    "project_completed": ("民生实事项目已完成。", "请在后台查看完成情况，年底组织测评。"),
}


@dataclass
class Rendered:
    text: str  # the customer-service message
    first: str  # template: the headline (20 characters at most, no line breaks)
    keywords: tuple[str, ...]  # template: number, title, what happened
    url: str


def _facts(payload: dict) -> dict:
    facts = dict(payload.get("facts") or {})
    facts.setdefault("number", payload.get("number") or "")
    facts.setdefault("ref", payload.get("number") or f"d{payload.get('proposal_id')}")
    if "decision" in facts:
        facts.setdefault("decision_label", DECISIONS.get(facts["decision"], facts["decision"]))
    if "rating" in facts:
        facts["rating"] = RATING_LABELS.get(facts["rating"], facts["rating"])
    if "category" in facts:
        facts["category"] = f"{facts['category']} 类：{REPLY_CATEGORIES.get(facts['category'], '')}"
    if isinstance(facts.get("lead_units"), list):
        facts.setdefault("units", "、".join(facts["lead_units"]))
    return facts


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _clip(text: str, limit: int = 20) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(kind: str, payload: dict, url: str = "", extra: dict | None = None) -> Rendered:
    happened, next_step = TEXTS.get(kind, ("建议有新的进展。", "请打开链接查看。"))
    facts = _Blank({**_facts(payload), "staff_body": words.staff_body(), **(extra or {})})
    happened, next_step = happened.format_map(facts), next_step.format_map(facts)
    if kind == "chat_reply":  # the bot's answer sent later: payload {"text": ...} (storage/bot_store.py chat_reply)
        happened = str(payload.get("text") or happened)
        return Rendered(happened, _clip(happened), (), url)
    if payload.get("subject") == "opinion":  # a citizen's opinion: its receipt number, never a name
        head = f"【群众意见 回执号 {payload.get('receipt', '')}】"
        lines = [head, happened] + ([next_step] if next_step else []) + ([f'<a href="{url}">点击查看详情</a>'] if url else [])
        return Rendered("\n".join(lines), _clip(happened), (_clip(payload.get("receipt", "")), _clip(happened),
                                                            _clip(next_step)), url)
    if payload.get("subject") == "project":  # a livelihood project (民生实事): its number and name
        head = f"【民生实事 {payload.get('number', '')}】{payload.get('title') or ''}"
        lines = [head, happened] + ([next_step] if next_step else []) + ([f'<a href="{url}">点击查看详情</a>'] if url else [])
        return Rendered("\n".join(lines), _clip(happened), (_clip(payload.get("number", "")),
                                                            _clip(payload.get("title") or ""), _clip(next_step)), url)
    number, title = payload.get("number") or "草稿", payload.get("title") or ""
    official = f"｜{payload['official']}" if payload.get("official") else ""
    lines = [f"【代表建议 {number}{official}】{title}", happened]
    if next_step:
        lines.append(next_step)
    if url:
        lines.append(f'<a href="{url}">点击查看详情</a>')
    return Rendered("\n".join(lines), _clip(happened), (_clip(number), _clip(title), _clip(next_step)), url)
