"""群众意见 (constituents' opinions collected through 代表联络站 "1+N"), defined once, as data: states,
actions, who may do them and their parameters; the `transitions` machine that runs them; the kinds of
stations and points, the channels, and the matters outside the remit with where the citizen should go.

Each opinion goes one of three routes (代表法 2025 art. 8(6): deputies hear and pass on the people's
opinions; art. 31: they do not handle problems themselves): `answer` (the deputy answers), `refer`
(a lightweight assignment to a unit or township through a signed link, due in `opinions.referral_due`),
or `to_proposal` (it becomes, with others, a deputy's proposal). A matter the law sends elsewhere (a
court case, arbitration, 行政复议: 信访工作条例 arts. 28, 31) is closed with the reason and where to go.
The ids are stable for programs (API, events); the labels are what people read. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from transitions import Machine

from workflow.domain.definition import RATINGS, Action, Param

OPINION_STATES: dict[str, str] = {
    "received": "待处理",
    "referred": "已转办",
    "in_proposal": "已形成建议",
    "answered": "已答复",
    "closed": "已办结",
    "out_of_remit": "不属于受理范围",
}
OPINION_FINAL_STATES = frozenset({"closed", "out_of_remit"})
# Waiting for someone to act on it (the deputy, staff or the unit it was referred to): open.
OPINION_OPEN_STATES = ("received", "referred", "in_proposal")
REFERRAL_DEADLINE = "转办群众意见的反馈期限"  # the card's words (yellow before the due date, red after)
ROUTES = {"answer": "当场或事后答复", "refer": "转交办理", "to_proposal": "形成代表建议", "out_of_remit": "不属于受理范围"}

# 1 + N: the station, and its points (the seed county's three kinds, and others).
STATION_KINDS = {"station": "代表联络站", "model_service": "模范好人服务点", "business": "营商环境联系点",
                 "rural": "乡村振兴民意点", "point": "联系点"}
POINT_KINDS = tuple(k for k in STATION_KINDS if k != "station")
CHANNELS = {"visit": "走访", "qr": "扫码", "duty_day": "接待日", "phone": "电话", "wechat": "微信"}
ENTERED_BY = {"citizen": "群众自行填写", "deputy": "代表录入", "staff": "联络站工作人员录入"}
# Matters the law sends to another procedure (信访工作条例 arts. 28 and 31; 行政复议法 art. 20): the reason
# given, and where the citizen is told to go.
OUT_OF_REMIT = {
    "正在诉讼或应当诉讼的案件": "请依法向人民法院提起诉讼或申请再审；可拨打 12368 诉讼服务热线咨询。",
    "应当通过仲裁解决的纠纷": "请按合同约定或法律规定向仲裁委员会申请仲裁（劳动争议向劳动人事争议仲裁委员会申请）。",
    "可以申请行政复议的行政行为": "请自知道该行政行为之日起六十日内向行政复议机关申请行政复议（行政复议法第二十条）。",
    "检举、控告违纪违法": "请向纪检监察机关或公安、检察机关依法检举、控告。",
    "其他不属于人大代表联络站受理范围的": "请向有关主管部门或 12345 政务服务便民热线反映。",
}

OPINION_TRANSITIONS: list[dict] = [
    dict(trigger="receive", source="received", dest=None),
    dict(trigger="answer", source="received", dest="answered"),
    dict(trigger="refer", source="received", dest="referred"),
    dict(trigger="unit_answer", source="referred", dest="answered"),
    # The unit finds it is not its matter: back to the deputy and staff to route again.
    dict(trigger="send_back", source="referred", dest="received"),
    dict(trigger="to_proposal", source="received", dest="in_proposal"),
    # The proposal that carries it was answered by a lead unit: its citizen is told and may rate.
    dict(trigger="proposal_answered", source="in_proposal", dest="answered"),
    dict(trigger="close_out_of_remit", source=["received", "referred"], dest="out_of_remit"),
    dict(trigger="rate", source="answered", dest="closed"),
]


def _p(name, label, kind="text", required=True, choices=(), max_length=2000) -> Param:
    return Param(name, label, kind, required, tuple(choices), max_length)


OPINION_ACTIONS: dict[str, Action] = {a.id: a for a in [
    Action("receive", "收到意见", frozenset({"system"}), description="群众意见登记，给出回执号。"),
    Action("answer", "答复群众", frozenset({"deputy", "staff"}), (_p("text", "答复内容", "textarea", max_length=5000),),
           guards=("acts_for_opinion",), description="代表当场或事后答复；群众可凭回执号查看并评价。"),
    Action("refer", "转交办理", frozenset({"deputy", "staff"}), (
        _p("unit", "承办单位或乡镇（单位代码）", "unit"), _p("due_date", "反馈期限（不填按设置）", "date", required=False),
        _p("note", "转办说明", "textarea", required=False)),
        guards=("acts_for_opinion", "unit_is_active", "due_date_after_today"),
        description="转交有关单位或乡镇办理，单位凭链接答复；群众可凭回执号查看并评价。"),
    Action("unit_answer", "单位答复", frozenset({"unit"}), (
        _p("text", "办理情况", "textarea", max_length=5000), _p("handler", "经办人", required=False, max_length=64)),
        description="承办单位答复转办的群众意见。"),
    Action("send_back", "退回（不属于本单位）", frozenset({"unit"}), (_p("reason", "理由", "textarea"),),
           description="不属于本单位职责的，说明理由退回，由代表或工作人员另行处理。"),
    Action("to_proposal", "形成代表建议", frozenset({"deputy", "staff"}), (
        _p("with", "一并形成建议的其他意见（回执号）", required=False, max_length=400),
        _p("title", "建议标题", required=False, max_length=200),
        _p("content", "建议内容", "textarea", required=False, max_length=20000)),
        guards=("acts_for_opinion",),
        description="把一条或几条普遍性的群众意见形成代表建议草稿，代表修改后提交；建议答复后告知群众。"),
    Action("proposal_answered", "所形成的建议已答复", frozenset({"system"}),
           description="承办单位答复了这条意见形成的代表建议，告知群众。"),
    Action("close_out_of_remit", "不属于受理范围", frozenset({"deputy", "staff"}), (
        _p("reason", "情形", "choice", choices=tuple(OUT_OF_REMIT)),
        _p("where", "告知群众的反映途径（不填按情形）", "textarea", required=False, max_length=500)),
        guards=("acts_for_opinion",), description="属于诉讼、仲裁、行政复议等法定途径的，告知群众依法反映的途径。"),
    Action("rate", "群众评价", frozenset({"citizen"}), (
        _p("rating", "评价", "choice", choices=tuple(RATINGS)), _p("comment", "意见", "textarea", required=False,
                                                                  max_length=1000)),
        description="群众凭回执号对答复作出评价：满意、基本满意或不满意。"),
]}
assert set(OPINION_ACTIONS) == {t["trigger"] for t in OPINION_TRANSITIONS}, "every opinion action has a row"
OPINION_EVENT_LABELS = {a.id: a.label for a in OPINION_ACTIONS.values()}

_SOURCES: dict[str, set[str]] = {}
for _row in OPINION_TRANSITIONS:
    _SOURCES.setdefault(_row["trigger"], set()).update(
        _row["source"] if isinstance(_row["source"], list) else [_row["source"]])


def action_possible(action: str, state: str) -> bool:
    return state in _SOURCES.get(action, ())


OPINION_MACHINE = Machine(model=None, states=list(OPINION_STATES), transitions=OPINION_TRANSITIONS, initial=None,
                          auto_transitions=False, ignore_invalid_triggers=False, model_attribute="state")

# An opinion's referral to one unit: open until the unit answers, sends it back, or the opinion is closed.
REFERRAL_STATES = {"open": "待办理", "answered": "已答复", "sent_back": "已退回", "closed": "已结束"}
REFERRAL_TRANSITIONS = [
    dict(trigger="unit_answer", source="open", dest="answered"),
    dict(trigger="send_back", source="open", dest="sent_back"),
    dict(trigger="close_out_of_remit", source="open", dest="closed"),
]
REFERRAL_MACHINE = Machine(model=None, states=list(REFERRAL_STATES), transitions=REFERRAL_TRANSITIONS, initial=None,
                           auto_transitions=False, ignore_invalid_triggers=False, model_attribute="state")


# ---------------------------------------------------------------- who may act on which opinion
@dataclass(frozen=True)
class Opinionated:
    """What the guards read of one opinion and its surroundings (filled by the engine)."""

    deputy: str = ""  # the number of the deputy it is addressed to ("" when to the station)
    station_deputies: frozenset[str] = field(default_factory=frozenset)  # deputies of its station
    unit_active: Optional[bool] = None  # the unit named by `refer` (None: not named / not found)
    due_date: object = None
    today: object = None


def acts_for_opinion(actor_kind: str, actor_id: str, facts: Opinionated) -> str:
    """A deputy acts on opinions addressed to them, or to a station they receive at; staff on any."""
    if actor_kind != "deputy":
        return ""
    if actor_id == facts.deputy or (not facts.deputy and actor_id in facts.station_deputies):
        return ""
    return "这条意见不是反映给您的，由所反映的代表或联络站工作人员处理。"


def referral_problem(facts: Opinionated) -> str:
    if facts.unit_active is None:
        return "找不到这个承办单位，请检查单位代码。"
    if not facts.unit_active:
        return "这个单位已停用，不能转办。"
    if facts.due_date is not None and facts.today is not None and facts.due_date <= facts.today:
        return "反馈期限应晚于今天。"
    return ""


def parse_receipts(text: str) -> list[str]:
    """Receipt numbers typed or posted together: separated by spaces, commas or 、."""
    for mark in ("，", ",", "、", ";", "；"):
        text = text.replace(mark, " ")
    return [part.strip().upper() for part in text.split() if part.strip()]
