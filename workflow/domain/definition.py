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
    # Still 不满意 after the configured re-handlings: waits for staff to decide (研究处理).
    "deciding": "待研究处理",
    "implementing": "落实中",
    "closed": "办结",
    "referred": "不作为代表建议",
    "withdrawn": "已撤回",
}
# ---------------------------------------------------------------- groupings of proposal states
# Every derived idea is spelled here once; queries, pages, reminders and tallies import it.
FINAL_STATES = frozenset({"closed", "referred", "withdrawn"})  # nothing more happens
OPEN_STATES = [s for s in STATES if s not in FINAL_STATES]
PRE_SUBMISSION_STATES = ("draft", "consulting")  # still the deputy's own (草稿、提出前沟通)
# Waiting for the lead units' (next) reply.
REPLY_OWED_STATES = ("assigned", "handling", "rehandling")
# Assigned and not yet finished (in the units' hands, or waiting for staff to decide after 不满意).
HANDLED_STATES = ("assigned", "handling", "replied", "rehandling", "deciding", "implementing")
SUPERVISABLE = ["accepted", *HANDLED_STATES]  # may be marked for key supervision
# States whose rules read replies and ratings; before them a proposal has none.
REPLY_STATES = frozenset({"handling", "rehandling", "replied", "deciding", "implementing"})

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
ACTOR_LABELS = {"deputy": "代表", "staff": "人大工作人员", "unit": "承办单位", "system": "系统"}
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
PROMISE_DATE_CATEGORIES = frozenset({"B"})  # 正在解决或列入计划: a date is promised (C, 以后解决, names none)
IMPLEMENTED_CATEGORIES = frozenset({"A"})  # the unit says it is done: the deputy rates what was done
REPLY_KINDS = {"answer": "答复", "second": "再次答复"}
# 研究处理: what staff decide when a deputy is still 不满意 after the configured re-handlings.
DECISIONS = {
    "key_supervision": "列为重点督办，重新办理",
    "face_to_face": "组织当面协商，重新办理",
    "written_opinion": "提出书面处理意见，交承办单位重新办理",
    "close": "说明理由，办结",
}
SOLVED_CATEGORIES = frozenset({"A", "B"})  # counted as solved (解决率)
# 不作为代表建议的情形: the provincial rules' list (代表法 2025 art. 59 adds 干预具体司法案件 and
# 插手招标投标等经济活动); every provincial text ends with the catch-all 其他不应当作为代表建议的.
REFERRAL_REASONS = [
    "代表本人或亲属的个人事务",
    "转交来信",
    "检举、控告、申诉",
    "属于正在诉讼或仲裁的案件",
    "干预具体司法案件",
    "插手招标投标等经济活动",
    "学术探讨或宣传推介内容",
    "没有具体内容",
    "不属于本级职权范围",
    "其他不应当作为代表建议的",
]
# What becomes of a text not handled as a deputy's suggestion (recorded, and told to the deputy).
REFERRAL_DISPOSITIONS = ("退回代表", "作代表来信处理", "转有关部门参考")
# A lead deputy may withdraw only before 交办; a joint proposal may need its co-signers' consent first.
WITHDRAWABLE_STATES = ("submitted", "accepted")
# A co-signer may confirm until the proposal is finished (after 交办 too: the reply goes to each confirmed one).
COSIGNABLE_STATES = ("draft", "consulting", "submitted", "accepted", *HANDLED_STATES)
# Another deputy may join a submitted proposal as a co-signer (加入联名, offered with the similar-proposals
# warning while drafting) until it is assigned: at 交办 the units learn whom they answer.
JOINABLE_STATES = ("submitted", "accepted")


# A proposal has its number (and, within a registered session, its official number) from submission on;
# staff may correct its session until it is finished (a final state allows no action).
NUMBERED_STATES = [s for s in STATES if s not in ("draft", "consulting", *FINAL_STATES)]
SESSION_KINDS = ("session", "interim")  # 大会建议 / 闭会期间建议 (labels: workflow.domain.sessions.KINDS)
ORIGINS = ("proposal", "motion")  # 代表建议 / 议案转建议


# ---------------------------------------------------------------- proposal transitions
# Rows with the same trigger are tried in order: the first whose conditions hold decides the
# destination (dest None: the proposal's state does not change). Conditions are methods of
# workflow.domain.rules.Context; they choose where an allowed action leads, they never refuse it (guards do).
PROPOSAL_TRANSITIONS: list[dict] = [
    dict(trigger="revise", source=["draft"], dest=None),
    dict(trigger="request_consultation", source="draft", dest="consulting"),
    dict(trigger="give_advice", source="consulting", dest="draft"),
    dict(trigger="confirm_cosign", source=list(COSIGNABLE_STATES), dest=None),
    dict(trigger="join_cosign", source=list(JOINABLE_STATES), dest=None),
    dict(trigger="submit", source=["draft", "consulting"], dest="submitted"),
    # Withdrawal: at once, or (workflow.withdraw_needs_co_signer_consent) once every confirmed co-signer agrees.
    dict(trigger="withdraw", source=list(WITHDRAWABLE_STATES), dest=None, conditions="withdrawal_needs_consent"),
    dict(trigger="withdraw", source=list(WITHDRAWABLE_STATES), dest="withdrawn"),
    dict(trigger="consent_withdrawal", source=list(WITHDRAWABLE_STATES), dest="withdrawn",
         conditions="all_co_signers_consented"),
    dict(trigger="consent_withdrawal", source=list(WITHDRAWABLE_STATES), dest=None),
    dict(trigger="refuse_withdrawal", source=list(WITHDRAWABLE_STATES), dest=None),
    dict(trigger="return_for_revision", source="submitted", dest="draft"),
    dict(trigger="refer", source="submitted", dest="referred"),
    dict(trigger="accept", source="submitted", dest="accepted"),
    dict(trigger="assign", source="accepted", dest="assigned"),
    # 并案办理: staff combine accepted proposals under a lead (牵头建议) before 交办; each is answered apart.
    dict(trigger="combine", source="accepted", dest=None), dict(trigger="uncombine", source="accepted", dest=None),
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
    # 申请延期答复: the lead unit applies from its link; staff approve (the new due date) or refuse.
    dict(trigger="request_extension", source=["assigned", "handling", "rehandling"], dest=None),
    dict(trigger="approve_extension", source=["assigned", "handling", "rehandling"], dest=None),
    dict(trigger="refuse_extension", source=["assigned", "handling", "rehandling"], dest=None),
    dict(trigger="reply", source=["handling", "rehandling"], dest="replied", conditions="all_lead_units_replied"),
    dict(trigger="reply", source=["handling", "rehandling"], dest=None),
    # The deputy rates each lead unit's reply; the last rating (or the window's end) decides.
    dict(trigger="evaluate_reply", source="replied", dest=None, conditions="replies_await_rating"),
    dict(trigger="evaluate_reply", source="replied", dest="deciding", conditions="rehandle_limit_reached"),
    dict(trigger="evaluate_reply", source="replied", dest="rehandling", conditions="any_reply_unsatisfied"),
    dict(trigger="evaluate_reply", source="replied", dest="implementing", conditions="any_unit_implementing"),
    dict(trigger="evaluate_reply", source="replied", dest="closed"),
    dict(trigger="lapse_rating", source="replied", dest="deciding", conditions="rehandle_limit_reached"),
    dict(trigger="lapse_rating", source="replied", dest="rehandling", conditions="any_reply_unsatisfied"),
    dict(trigger="lapse_rating", source="replied", dest="implementing", conditions="any_unit_implementing"),
    dict(trigger="lapse_rating", source="replied", dest="closed"),
    dict(trigger="decide", source="deciding", dest="closed", conditions="decided_to_close"),
    dict(trigger="decide", source="deciding", dest="rehandling"),
    dict(trigger="report_progress", source="implementing", dest=None),
    dict(trigger="answer_again", source="implementing", dest=None),
    dict(trigger="open_implementation_rating", source="implementing", dest=None),
    dict(trigger="evaluate_implementation", source="implementing", dest="closed", conditions="no_unit_implementing"),
    dict(trigger="evaluate_implementation", source="implementing", dest=None),
    dict(trigger="lapse_rating", source="implementing", dest="closed", conditions="no_unit_implementing"),
    dict(trigger="lapse_rating", source="implementing", dest=None),
    dict(trigger="mark_key", source=SUPERVISABLE, dest=None),
    dict(trigger="correct_session", source=NUMBERED_STATES, dest=None),
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
    dict(trigger="answer_again", source="implementing", dest=None),
    dict(trigger="extend_deadline", source=["pending", "signed", "rehandling"], dest=None),
    dict(trigger="request_extension", source=["signed", "rehandling"], dest=None),
    dict(trigger="approve_extension", source=["signed", "rehandling"], dest=None),
    dict(trigger="refuse_extension", source=["signed", "rehandling"], dest=None),
    dict(trigger="give_advice", source="pending", dest="advised"),
    # Moved by the engine when the proposal moves (not actions of anyone).
    dict(trigger="start_rehandling", source="replied", dest="rehandling"),
    dict(trigger="start_implementing", source="replied", dest="implementing"),
    dict(trigger="finish_implementing", source="implementing", dest="done"),
    dict(trigger="finish", source=list(LIVE_ASSIGNMENT_STATES), dest="done"),
    # 主协办对调: a co-unit made lead leaves its co share (a new lead share replaces it).
    dict(trigger="hand_over", source=["pending", "signed", "adjustment_requested"], dest="reassigned"),
]


# ---------------------------------------------------------------- actions: who and with what
@dataclass(frozen=True)
class Param:
    """One parameter of an action: validated by workflow.domain.params, drawn as a form field, described in OpenAPI."""

    name: str
    label: str
    kind: str = "text"  # text | textarea | choice | date | int | units | unit | bool | numbers (proposals)
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
    deputy_role: str = "lead"  # lead | co_signer | other (neither of them): which deputy may act
    guards: tuple[str, ...] = ()  # names in workflow.domain.rules.GUARDS that may refuse it, with a reason
    description: str = ""


def _p(name, label, kind="text", required=True, choices=(), max_length=2000) -> Param:
    return Param(name, label, kind, required, tuple(choices), max_length)


REASON = _p("reason", "理由", "textarea")
RATING = _p("rating", "评价", "choice", choices=RATINGS)
UNIT_PICK = _p("unit", "单位代码", "unit", required=False)
# 代表法 art. 52: a unit that cannot reply in time explains the delay to the deputy before the extension.
EXPLAINED = _p("explained_to_deputy", "已向代表说明延期原因", "bool")
# The 答复函's other fields (optional): 文号, 承办人 and the phone the deputy may call (docs/letters.md).
LETTER_PARAMS = (_p("doc_number", "文号", required=False, max_length=64), _p("handler", "承办人", required=False, max_length=64),
                 _p("handler_phone", "承办人电话", required=False, max_length=32))

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
           guards=("is_unconfirmed_co_signer",),
           description="联名代表确认参与本建议（交办后也可确认）；工作人员可凭代表签名的书面材料代为登记。"),
    Action("join_cosign", "加入联名", frozenset({"deputy"}), deputy_role="other", guards=("may_join_as_co_signer",),
           description="另一位代表提出了内容相同的建议：交办前可加入其联名，不必重复提出。"),
    Action("submit", "提交建议", frozenset({"deputy"}), guards=("has_title_and_content",),
           description="正式提交，获得建议编号。"),
    Action("withdraw", "撤回建议", frozenset({"deputy"}), (
        _p("reason", "撤回理由", "textarea"), _p("confirm", "确认撤回这件建议", "bool", required=False)),
        guards=("withdrawal_not_requested", "withdrawal_confirmed"),
        description="交办前可撤回，须写明理由并确认；按设置，联名建议须经联名代表同意。"),
    Action("consent_withdrawal", "同意撤回", frozenset({"deputy"}), deputy_role="co_signer",
           guards=("awaits_withdrawal_consent",), description="联名代表同意领衔代表撤回这件建议。"),
    Action("refuse_withdrawal", "不同意撤回", frozenset({"deputy"}), (
        _p("reason", "理由", "textarea", required=False),), deputy_role="co_signer",
        guards=("awaits_withdrawal_consent",), description="联名代表不同意撤回：撤回申请取消，并告知领衔代表。"),
    Action("return_for_revision", "退回修改", frozenset({"staff"}), (REASON,)),
    Action("refer", "不作为代表建议处理", frozenset({"staff"}), (
        _p("reason", "不作为代表建议的情形", "choice", choices=REFERRAL_REASONS),
        _p("disposition", "处理方式", "choice", choices=REFERRAL_DISPOSITIONS),
        _p("note", "说明", "textarea", False)),
        description="属于不应当作为代表建议的情形：写明情形和处理方式，告知代表。"),
    Action("accept", "立案", frozenset({"staff"}), (_p("category", "类别", "category"),)),
    Action("assign", "交办", frozenset({"staff"}), (
        _p("lead_units", "主办单位", "units"), _p("co_units", "协办单位", "units", required=False),
        _p("due_date", "答复期限", "date", required=False)),
        guards=("units_are_active", "due_date_after_today", "due_date_within_maximum", "assigned_with_group_lead")),
    Action("combine", "并案办理", frozenset({"staff"}), (_p("members", "并入的建议编号", "numbers"),),
           guards=("leads_its_group", "members_found", "members_can_join"),
           description="内容相同或相近的已立案建议并案办理：本件牵头，交办时一并交办给相同的单位，分别答复、分别评价。"),
    Action("uncombine", "移出并案", frozenset({"staff"}), (_p("member", "移出的建议编号", max_length=16),),
           guards=("leads_its_group", "member_found", "member_in_group"), description="交办前把一件建议移出本并案，单独办理。"),
    Action("sign", "签收", frozenset({"unit"}), unit_roles=frozenset({"lead", "co"}), assignment_level=True),
    Action("request_adjustment", "申请调整", frozenset({"unit"}), (REASON,), unit_roles=frozenset({"lead", "co"}),
           assignment_level=True, guards=("within_adjustment_window",),
           description="认为不属于本单位职责的，在调整期限内申请改派。"),
    Action("reassign", "改派", frozenset({"staff"}), (
        _p("unit", "原单位代码", "unit"), _p("to_unit", "改派给（单位代码）", "unit"),
        _p("keep_as_co", "原主办单位改为协办", "bool", required=False)),
        assignment_level=True, guards=("units_are_active", "target_unit_is_free", "keep_as_co_only_for_lead"),
        description="改派给其他单位或本件的协办单位（主办、协办对调）；可让原主办单位改为协办。"),
    Action("reject_adjustment", "不同意调整", frozenset({"staff"}), (_p("unit", "单位代码", "unit"), REASON),
           assignment_level=True),
    Action("log_contact", "记录与代表沟通", frozenset({"unit"}), (
        _p("method", "方式", "choice", choices=CONTACT_METHODS), _p("summary", "沟通情况", "textarea"),
        _p("contacted_on", "日期", "date", required=False)), unit_roles=frozenset({"lead", "co"}),
        assignment_level=True, guards=("contact_not_in_future",)),
    Action("submit_opinion", "提交协办意见", frozenset({"unit"}), (_p("text", "协办意见", "textarea", max_length=20000),),
           unit_roles=frozenset({"co"}), assignment_level=True, guards=("opinion_not_given",)),
    Action("extend_deadline", "延期答复", frozenset({"staff"}), (
        UNIT_PICK, _p("due_date", "新的答复期限", "date"), REASON, EXPLAINED), assignment_level=True,
        guards=("within_maximum_extension", "delay_explained_to_deputy"),
        description="经同意延期，最长不超过规定上限；承办单位须先向代表说明延期原因。"),
    Action("request_extension", "申请延期答复", frozenset({"unit"}), (
        _p("due_date", "申请延至", "date"), _p("reason", "延期理由", "textarea"), EXPLAINED),
        unit_roles=frozenset({"lead"}), assignment_level=True,
        guards=("no_extension_pending", "within_maximum_extension", "delay_explained_to_deputy"),
        description="不能按期答复的，先向代表说明延期原因，再申请延期，经人大工作人员同意后生效。"),
    Action("approve_extension", "同意延期", frozenset({"staff"}), (
        UNIT_PICK, _p("due_date", "批准的答复期限（不填即按申请）", "date", required=False)),
        assignment_level=True, guards=("extension_requested", "within_maximum_extension"),
        description="同意承办单位的延期申请，答复期限改为申请（或另定）的日期。"),
    Action("refuse_extension", "不同意延期", frozenset({"staff"}), (UNIT_PICK, REASON), assignment_level=True,
           guards=("extension_requested",), description="不同意延期，原答复期限不变；理由告知承办单位。"),
    Action("reply", "答复", frozenset({"unit"}), (
        _p("category", "答复类别", "choice", choices=REPLY_CATEGORIES),
        _p("text", "答复内容", "textarea", max_length=50000), _p("signer", "签发人", max_length=64),
        _p("promise_date", "承诺解决时间（B 类必填）", "date", required=False), *LETTER_PARAMS),
        unit_roles=frozenset({"lead"}), assignment_level=True,
        guards=("contact_logged", "co_opinions_in_or_overdue", "promise_date_for_b")),
    Action("evaluate_reply", "评价答复", frozenset({"deputy"}), (
        # The 征询意见表: 办理态度 and 办理结果 (rating) apart when evaluation.separate_attitude, else one rating.
        _p("attitude", "办理态度", "choice", required=False, choices=RATINGS),
        _p("rating", "办理结果", "choice", choices=RATINGS),
        _p("reason", "理由（不满意时必填）", "textarea", required=False), UNIT_PICK,
        _p("implementation_rating", "落实评价（A 类答复，可同时评价）", "choice", required=False, choices=RATINGS),
        _p("implementation_reason", "落实不满意的理由", "textarea", required=False),
        _p("contacted", "承办单位是否与代表联系", "bool", required=False),
        _p("contact_method", "联系方式", "choice", required=False, choices=CONTACT_METHODS),
        _p("opinion", "意见和建议", "textarea", required=False, max_length=5000),
        _p("form_date", "填表日期", "date", required=False)),
        guards=("reason_for_unsatisfied", "opinion_form_complete", "reply_awaits_rating", "within_rating_window"),
        description="逐个主办单位评价答复（征询意见表：办理态度、办理结果、是否联系、意见和建议）；"
                    "A 类答复可同时评价落实情况，不填则落实评价另行征询。"),
    Action("report_progress", "报告落实进展", frozenset({"unit"}), (
        _p("text", "进展情况", "textarea"), _p("percent", "完成百分比", "int")),
        unit_roles=frozenset({"lead"}), assignment_level=True, guards=("percent_in_range",),
        description="报告完成 100% 时，请代表评价落实情况。"),
    Action("answer_again", "再次答复", frozenset({"unit"}), (
        _p("category", "答复类别", "choice", choices=REPLY_CATEGORIES),
        _p("text", "答复内容", "textarea", max_length=50000), _p("signer", "签发人", max_length=64),
        _p("promise_date", "承诺解决时间（B 类必填）", "date", required=False), *LETTER_PARAMS),
        unit_roles=frozenset({"lead"}), assignment_level=True, guards=("promise_date_for_b",),
        description="跟踪办理中作出正式的再次答复（如 B 类解决后改为 A 类）；A 类答复后请代表评价落实情况。"),
    Action("open_implementation_rating", "征询落实评价", frozenset({"system"}),
           description="承诺解决时间已到，请代表评价落实情况。"),
    Action("evaluate_implementation", "评价落实情况", frozenset({"deputy"}), (
        RATING, _p("reason", "理由（不满意时必填）", "textarea", required=False), UNIT_PICK),
        guards=("reason_for_unsatisfied", "implementation_awaits_rating", "within_rating_window"),
        description="逐个主办单位评价落实情况；不满意的，单位须重新承诺或再次答复。"),
    Action("lapse_rating", "评价期限届满", frozenset({"system"}),
           description="评价期限届满未评价的，记为未反馈（不计入满意率）。"),
    Action("decide", "研究处理", frozenset({"staff"}), (
        _p("decision", "处理方式", "choice", choices=DECISIONS), _p("text", "处理意见或理由", "textarea"),
        _p("leader", "领办领导（列为重点督办时）", required=False, max_length=64)),
        guards=("leader_for_key_supervision",),
        description="重新办理后代表仍不满意的，由工作人员研究处理。"),
    Action("mark_key", "列为重点督办", frozenset({"staff"}), (
        _p("leader", "领办领导", max_length=64), _p("committee", "督办工委", required=False, max_length=64))),
    Action("correct_session", "更正届次", frozenset({"staff"}), (
        _p("session", "所属会议（编号）", required=False, max_length=12),
        _p("kind", "建议类型（session 大会 / interim 闭会期间）", "choice", required=False, choices=SESSION_KINDS),
        _p("origin", "来源（proposal 代表建议 / motion 议案转建议）", "choice", required=False, choices=ORIGINS)),
        description="更正所属届次会议、大会或闭会期间、来源；改变届次或类型的，按新的序列重新编号。"),
    Action("close", "办结", frozenset({"staff"}), (REASON,)),
]}

assert set(ACTIONS) == {t["trigger"] for t in PROPOSAL_TRANSITIONS}, "every action has a proposal row"
ENGINE_TRIGGERS = {"start_rehandling", "start_implementing", "finish_implementing", "finish", "hand_over"}
assert {t["trigger"] for t in ASSIGNMENT_TRANSITIONS} - ENGINE_TRIGGERS == {
    a.id for a in ACTIONS.values() if a.assignment_level
}, "every assignment-level action has an assignment row"


# Events that are not workflow actions (they change no state).
EVENT_LABELS = {"create": "起草", "meeting_result": "集中评议结果", "publish_reply": "公开答复",
                "unpublish_reply": "撤回公开答复", "revoke_link": "作废单位链接并重新生成",
                "seal_letter": "上传盖章答复函"}


def action_label(action_id: str) -> str:
    return ACTIONS[action_id].label if action_id in ACTIONS else EVENT_LABELS.get(action_id, action_id)
