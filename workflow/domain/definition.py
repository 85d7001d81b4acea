"""The workflow, defined once, as data: states, actions, who may do them, their parameters.

The transition tables feed the `transitions` machines (machine.py), the allowed-actions lists of the
API and the unit pages, the forms, the OpenAPI description and the Mermaid diagram. State and action
ids are a contract (DESIGN.md section 3); labels are what people read.
"""
from __future__ import annotations

from dataclasses import dataclass

STATES: dict[str, str] = {
    "draft": "草稿",
    "consulting": "提出前沟通",
    "submitted": "已提交",
    "accepted": "已立案",
    "assigned": "已交办",
    "handling": "办理中",
    "replied": "已答复",
    "rehandling": "重新办理",
    "implementing": "落实中",
    "closed": "办结",
    "referred": "转参阅件",
    "withdrawn": "已撤回",
}
# ---------------------------------------------------------------- groupings of proposal states
# Every derived idea is spelled here once; queries, pages, reminders and tallies import it.
FINAL_STATES = frozenset({"closed", "referred", "withdrawn"})  # nothing more happens
OPEN_STATES = [s for s in STATES if s not in FINAL_STATES]
PRE_SUBMISSION_STATES = ("draft", "consulting")  # still the deputy's own (草稿、提出前沟通)
# Waiting for the lead units' (next) reply.
REPLY_OWED_STATES = ("assigned", "handling", "rehandling")
# In the units' hands: assigned and not yet finished.
HANDLED_STATES = ("assigned", "handling", "replied", "rehandling", "implementing")
SUPERVISABLE = ["accepted", *HANDLED_STATES]  # may be marked for key supervision
# States whose rules read replies and ratings; before them a proposal has none.
REPLY_STATES = frozenset({"handling", "rehandling", "replied", "implementing"})

ASSIGNMENT_STATES: dict[str, str] = {
    "pending": "待签收",
    "signed": "已签收",
    "adjustment_requested": "申请调整",
    "replied": "已答复",
    "rehandling": "重新办理",
    "implementing": "落实中",
    "advised": "已提出意见",
    "reassigned": "已改派",
    "done": "已完成",
}
# ---------------------------------------------------------------- groupings of assignment states
# A live assignment is still one unit's open share of the proposal: not handed on (reassigned), not
# finished (done) and not a pre-submission consultation that has been answered (advised).
LIVE_ASSIGNMENT_STATES = ("pending", "signed", "adjustment_requested", "replied", "rehandling", "implementing")
# A live assignment whose (next) reply is still owed: past its reply due date, it is overdue.
AWAITING_REPLY_STATES = frozenset({"pending", "signed", "adjustment_requested", "rehandling"})
# Handed to another unit: no longer on the proposal, though its history stays.
SUPERSEDED_ASSIGNMENT_STATES = frozenset({"reassigned"})

ROLES = {"lead": "主办", "co": "协办", "consult": "提前沟通"}
HANDLING_ROLES = ("lead", "co")  # the roles of units that handle a proposal (not pre-submission advice)

# ---------------------------------------------------------------- who acts
ACTOR_LABELS = {"deputy": "代表", "staff": "人大工作人员", "unit": "承办单位"}
ACCOUNT_ROLES = {"admin": "管理员", "staff": "工作人员", "supervisor": "督办/领导", "viewer": "只读"}
ACTING_ROLES = frozenset({"admin", "staff"})  # console roles that may act; the others only read

RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
# Recorded by the engine when the rating window closes with no rating: excluded from every rate, counted apart.
NO_FEEDBACK = "no_feedback"
RATING_LABELS = {**RATINGS, NO_FEEDBACK: "未反馈"}
# How a unit contacted the deputy (办前/办中沟通). 见面率 counts the face-to-face ones; 沟通率 counts any.
CONTACT_METHODS = ("面谈", "座谈会", "实地调研", "电话", "微信", "短信", "书面", "其他")
FACE_TO_FACE_METHODS = frozenset({"面谈", "座谈会", "实地调研"})
REPLY_CATEGORIES = {
    "A": "已解决或基本解决",
    "B": "正在解决或列入计划",
    "C": "因条件限制以后解决",
    "D": "留作参考",
}
PROMISING_CATEGORIES = frozenset({"B", "C"})  # answers that promise a later solution: followed up (跟踪办理)
SOLVED_CATEGORIES = frozenset({"A", "B"})  # counted as solved (解决率)
# 不作为代表建议的情形 (the law's list of what is not a deputy's suggestion).
REFERRAL_REASONS = [
    "代表本人或亲属的个人事务",
    "转交来信",
    "检举、控告、申诉",
    "属于正在诉讼或仲裁的案件",
    "学术探讨或宣传推介内容",
    "没有具体内容",
    "不属于本级职权范围",
]


# ---------------------------------------------------------------- proposal transitions
# Rows with the same trigger are tried in order: the first whose conditions hold decides the
# destination (dest None: the proposal's state does not change). Conditions are methods of
# workflow.domain.rules.Context; they choose where an allowed action leads, they never refuse it (guards do).
PROPOSAL_TRANSITIONS: list[dict] = [
    dict(trigger="revise", source=["draft"], dest=None),
    dict(trigger="request_consultation", source="draft", dest="consulting"),
    dict(trigger="give_advice", source="consulting", dest="draft"),
    dict(trigger="confirm_cosign", source=["draft", "consulting", "submitted", "accepted"], dest=None),
    dict(trigger="submit", source=["draft", "consulting"], dest="submitted"),
    dict(trigger="withdraw", source=["submitted", "accepted"], dest="withdrawn"),
    dict(trigger="return_for_revision", source="submitted", dest="draft"),
    dict(trigger="refer", source="submitted", dest="referred"),
    dict(trigger="accept", source="submitted", dest="accepted"),
    dict(trigger="assign", source="accepted", dest="assigned"),
    dict(trigger="sign", source="assigned", dest="handling", conditions="all_lead_units_signed"),
    dict(trigger="sign", source=["assigned", "handling", "rehandling", "replied", "implementing"], dest=None),
    dict(trigger="request_adjustment", source=["assigned", "handling"], dest=None),
    dict(trigger="reassign", source=["assigned", "handling"], dest="assigned", conditions="new_lead_unit_pending"),
    dict(trigger="reassign", source=["assigned", "handling"], dest=None),
    dict(trigger="reject_adjustment", source=["assigned", "handling"], dest="handling",
         conditions="all_lead_units_signed"),
    dict(trigger="reject_adjustment", source=["assigned", "handling"], dest=None),
    # A unit that has signed may contact the deputy while other lead units have not signed yet.
    dict(trigger="log_contact", source=["assigned", "handling", "rehandling", "replied", "implementing"], dest=None),
    dict(trigger="submit_opinion", source=["assigned", "handling", "rehandling"], dest=None),
    dict(trigger="extend_deadline", source=["assigned", "handling", "rehandling"], dest=None),
    dict(trigger="reply", source=["handling", "rehandling"], dest="replied", conditions="all_lead_units_replied"),
    dict(trigger="reply", source=["handling", "rehandling"], dest=None),
    dict(trigger="evaluate_reply", source="replied", dest=None, conditions="replies_await_rating"),
    dict(trigger="evaluate_reply", source="replied", dest="rehandling", conditions="any_reply_unsatisfied"),
    dict(trigger="evaluate_reply", source="replied", dest="implementing", conditions="any_reply_in_progress"),
    dict(trigger="evaluate_reply", source="replied", dest="closed"),
    dict(trigger="report_progress", source="implementing", dest=None),
    dict(trigger="evaluate_implementation", source="implementing", dest=None, conditions="rating_unsatisfied"),
    dict(trigger="evaluate_implementation", source="implementing", dest="closed"),
    dict(trigger="mark_key", source=SUPERVISABLE, dest=None),
    dict(trigger="close", source=OPEN_STATES, dest="closed"),
]

# ---------------------------------------------------------------- assignment transitions
# Actions that touch one unit's share. The assignment fires first; the proposal's row above then
# sees the new facts (e.g. "every lead unit has signed").
ASSIGNMENT_TRANSITIONS: list[dict] = [
    dict(trigger="sign", source="pending", dest="signed"),
    dict(trigger="request_adjustment", source=["pending", "signed"], dest="adjustment_requested"),
    dict(trigger="reject_adjustment", source="adjustment_requested", dest="signed", conditions="assignment_was_signed"),
    dict(trigger="reject_adjustment", source="adjustment_requested", dest="pending"),
    dict(trigger="reassign", source="adjustment_requested", dest="reassigned"),
    dict(trigger="log_contact", source=["signed", "replied", "rehandling", "implementing"], dest=None),
    dict(trigger="submit_opinion", source="signed", dest=None),
    dict(trigger="reply", source=["signed", "rehandling"], dest="replied"),
    dict(trigger="report_progress", source="implementing", dest=None),
    dict(trigger="extend_deadline", source=["pending", "signed", "rehandling"], dest=None),
    dict(trigger="give_advice", source="pending", dest="advised"),
    # Moved by the engine when the proposal moves (not actions of anyone).
    dict(trigger="start_rehandling", source="replied", dest="rehandling"),
    dict(trigger="start_implementing", source="replied", dest="implementing"),
    dict(trigger="finish", source=list(LIVE_ASSIGNMENT_STATES), dest="done"),
]


# ---------------------------------------------------------------- actions: who and with what
@dataclass(frozen=True)
class Param:
    """One parameter of an action: validated by workflow.domain.params, drawn as a form field, described in OpenAPI."""

    name: str
    label: str
    kind: str = "text"  # text | textarea | choice | date | int | units | unit | bool
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class Action:
    id: str
    label: str
    actors: frozenset[str]  # deputy | staff | unit
    params: tuple[Param, ...] = ()
    unit_roles: frozenset[str] = frozenset()  # for unit actors: roles of the assignment that may act
    assignment_level: bool = False  # fires the assignment machine too
    deputy_role: str = "lead"  # lead | co_signer: which deputy may act
    guards: tuple[str, ...] = ()  # names in workflow.domain.rules.GUARDS that may refuse it, with a reason
    description: str = ""


def _p(name, label, kind="text", required=True, choices=(), max_length=2000) -> Param:
    return Param(name, label, kind, required, tuple(choices), max_length)


REASON = _p("reason", "理由", "textarea")
RATING = _p("rating", "评价", "choice", choices=RATINGS)
UNIT_PICK = _p("unit", "单位代码", "unit", required=False)

ACTIONS: dict[str, Action] = {a.id: a for a in [
    Action("revise", "修改草稿", frozenset({"deputy"}), (
        _p("title", "标题", required=False, max_length=200), _p("content", "内容", "textarea", False, max_length=20000),
        _p("category", "类别", "category", required=False)), description="代表修改尚未提交的建议。"),
    Action("request_consultation", "申请提出前沟通", frozenset({"deputy"}), (
        _p("question", "想沟通的问题", "textarea", required=False), UNIT_PICK),
        guards=("has_title_and_content", "units_are_active"), description="把草稿交给工作人员（及指定单位）提出意见。"),
    Action("give_advice", "提出沟通意见", frozenset({"staff", "unit"}), (_p("advice", "意见", "textarea"),),
           unit_roles=frozenset({"consult"}), assignment_level=True, description="意见发给代表，草稿退回代表修改。"),
    Action("confirm_cosign", "确认联名", frozenset({"deputy"}), deputy_role="co_signer",
           guards=("is_unconfirmed_co_signer",), description="联名代表确认参与本建议。"),
    Action("submit", "提交建议", frozenset({"deputy"}), guards=("has_title_and_content",),
           description="正式提交，获得建议编号。"),
    Action("withdraw", "撤回建议", frozenset({"deputy"}), (_p("reason", "理由", "textarea", required=False),),
           description="交办前可撤回。"),
    Action("return_for_revision", "退回修改", frozenset({"staff"}), (REASON,)),
    Action("refer", "转为参阅件", frozenset({"staff"}), (
        _p("reason", "不作为建议的理由", "choice", choices=REFERRAL_REASONS), _p("note", "说明", "textarea", False))),
    Action("accept", "立案", frozenset({"staff"}), (_p("category", "类别", "category"),)),
    Action("assign", "交办", frozenset({"staff"}), (
        _p("lead_units", "主办单位", "units"), _p("co_units", "协办单位", "units", required=False),
        _p("due_date", "答复期限", "date", required=False)), guards=("units_are_active", "due_date_after_today")),
    Action("sign", "签收", frozenset({"unit"}), unit_roles=frozenset({"lead", "co"}), assignment_level=True),
    Action("request_adjustment", "申请调整", frozenset({"unit"}), (REASON,), unit_roles=frozenset({"lead", "co"}),
           assignment_level=True, guards=("within_adjustment_window",),
           description="认为不属于本单位职责的，在调整期限内申请改派。"),
    Action("reassign", "改派", frozenset({"staff"}), (
        _p("unit", "原单位代码", "unit"), _p("to_unit", "改派给（单位代码）", "unit")),
        assignment_level=True, guards=("units_are_active", "target_unit_is_free")),
    Action("reject_adjustment", "不同意调整", frozenset({"staff"}), (_p("unit", "单位代码", "unit"), REASON),
           assignment_level=True),
    Action("log_contact", "记录与代表沟通", frozenset({"unit"}), (
        _p("method", "方式", "choice", choices=CONTACT_METHODS), _p("summary", "沟通情况", "textarea"),
        _p("contacted_on", "日期", "date", required=False)), unit_roles=frozenset({"lead", "co"}),
        assignment_level=True, guards=("contact_not_in_future",)),
    Action("submit_opinion", "提交协办意见", frozenset({"unit"}), (_p("text", "协办意见", "textarea", max_length=20000),),
           unit_roles=frozenset({"co"}), assignment_level=True, guards=("opinion_not_given",)),
    Action("extend_deadline", "延期答复", frozenset({"staff"}), (
        UNIT_PICK, _p("due_date", "新的答复期限", "date"), REASON), assignment_level=True,
        guards=("within_maximum_extension",), description="经同意延期，最长不超过规定上限。"),
    Action("reply", "答复", frozenset({"unit"}), (
        _p("category", "答复类别", "choice", choices=REPLY_CATEGORIES),
        _p("text", "答复内容", "textarea", max_length=50000), _p("signer", "签发人", max_length=64),
        _p("promise_date", "承诺解决时间（B、C 类必填）", "date", required=False)),
        unit_roles=frozenset({"lead"}), assignment_level=True,
        guards=("contact_logged", "co_opinions_in_or_overdue", "promise_date_for_b_and_c")),
    Action("evaluate_reply", "评价答复", frozenset({"deputy"}), (
        RATING, _p("reason", "理由（不满意时必填）", "textarea", required=False), UNIT_PICK,
        _p("implementation_rating", "落实评价（A 类答复）", "choice", required=False, choices=RATINGS)),
        guards=("reason_for_unsatisfied", "reply_awaits_rating")),
    Action("report_progress", "报告落实进展", frozenset({"unit"}), (
        _p("text", "进展情况", "textarea"), _p("percent", "完成百分比", "int")),
        unit_roles=frozenset({"lead"}), assignment_level=True),
    Action("evaluate_implementation", "评价落实情况", frozenset({"deputy"}), (
        RATING, _p("reason", "理由（不满意时必填）", "textarea", required=False)),
        guards=("reason_for_unsatisfied",)),
    Action("mark_key", "列为重点督办", frozenset({"staff"}), (
        _p("leader", "领办领导", max_length=64), _p("committee", "督办工委", required=False, max_length=64))),
    Action("close", "办结", frozenset({"staff"}), (REASON,)),
]}

assert set(ACTIONS) == {t["trigger"] for t in PROPOSAL_TRANSITIONS}, "every action has a proposal row"
ENGINE_TRIGGERS = {"start_rehandling", "start_implementing", "finish"}
assert {t["trigger"] for t in ASSIGNMENT_TRANSITIONS} - ENGINE_TRIGGERS == {
    a.id for a in ACTIONS.values() if a.assignment_level
}, "every assignment-level action has an assignment row"


# Events that are not workflow actions (they change no state).
EVENT_LABELS = {"create": "起草", "meeting_result": "集中评议结果", "publish_reply": "公开答复",
                "unpublish_reply": "撤回公开答复", "revoke_link": "作废单位链接并重新生成"}


def action_label(action_id: str) -> str:
    return ACTIONS[action_id].label if action_id in ACTIONS else EVENT_LABELS.get(action_id, action_id)
