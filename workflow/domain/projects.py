"""民生实事项目 (people's livelihood projects voted by the deputies), defined once, as data: states, actions,
who may do them and their parameters, the `transitions` machine, and the vote's rule as a pure function.

The cycle (党委领导、人大主导、政府主责、代表主体、群众参与): 征集 (suggestions from deputies, departments, the
public, the liaison stations) → 初定 (the government screens them into candidates) → 票决 at the session
(anonymous: only the totals per candidate are entered, never a ballot) → 实施 (the responsible unit reports
progress through its signed link; staff record 集中视察) → 测评 (rounds rated by deputies, standing committee
members and the public). Ids are stable for programs; labels are what people read. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from transitions import Machine

from workflow.domain.definition import Action, Param

PROJECT_STATES: dict[str, str] = {
    "solicited": "征集",
    "candidate": "候选项目",
    "voted_in": "票决通过",
    "voted_out": "未通过票决",
    "implementing": "实施中",
    "completed": "已完成",
    "evaluated": "已测评",
    "withdrawn": "已撤销",
}
PROJECT_FINAL_STATES = frozenset({"voted_out", "evaluated", "withdrawn"})
SOURCES = {"deputy": "代表建议", "opinion": "联络站群众意见", "department": "政府部门", "public": "社会公众"}
# What an evaluation round's voters are (each kind counted apart) and what they choose.
VOTER_KINDS = {"deputy": "人大代表", "member": "常委会组成人员", "public": "群众"}
EVALUATION_CHOICES = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意",
                      "abstain": "弃权"}
ROUND_KINDS = {"mid_year": "年中测评", "year_end": "年底测评"}

PROJECT_TRANSITIONS: list[dict] = [
    dict(trigger="suggest", source="solicited", dest=None),
    dict(trigger="edit", source=["solicited", "candidate"], dest=None),
    dict(trigger="merge", source="solicited", dest="withdrawn"),
    dict(trigger="promote", source="solicited", dest="candidate"),
    dict(trigger="vote_in", source="candidate", dest="voted_in"),
    dict(trigger="vote_out", source="candidate", dest="voted_out"),
    dict(trigger="start", source="voted_in", dest="implementing"),
    dict(trigger="report_progress", source="implementing", dest=None),
    dict(trigger="record_inspection", source=["implementing", "completed"], dest=None),
    dict(trigger="complete", source="implementing", dest="completed"),
    dict(trigger="record_evaluation", source="implementing", dest=None),
    dict(trigger="record_evaluation", source="completed", dest="evaluated"),
    dict(trigger="withdraw", source=["solicited", "candidate", "voted_in", "implementing"], dest="withdrawn"),
]


def _p(name, label, kind="text", required=True, choices=(), max_length=2000) -> Param:
    return Param(name, label, kind, required, tuple(choices), max_length)


PROJECT_FIELDS = (
    _p("title", "项目名称", required=False, max_length=200), _p("content", "项目内容", "textarea", False, max_length=5000),
    _p("investment", "投资（万元）", required=False, max_length=32), _p("unit", "责任单位（单位代码）", "unit", False),
    _p("leader", "牵头领导", required=False, max_length=64),
    _p("planned_completion", "计划完成时间", "date", required=False))

PROJECT_ACTIONS: dict[str, Action] = {a.id: a for a in [
    Action("suggest", "提出建议项目", frozenset({"system"}), description="征集期内收到的民生实事建议。"),
    Action("edit", "修改项目信息", frozenset({"staff"}), PROJECT_FIELDS),
    Action("merge", "合并到其他项目", frozenset({"staff"}), (_p("into", "合并到（项目编号）", max_length=12),),
           guards=("merge_target_open",), description="内容重复的建议合并到另一个，原建议撤销并记录去向。"),
    Action("promote", "列为候选项目", frozenset({"staff"}), (
        _p("screening_note", "政府初定意见", "textarea", max_length=2000), *PROJECT_FIELDS),
        guards=("candidate_is_complete",),
        description="政府初步筛选后列为候选项目（写明初定意见），须有名称、内容、投资、责任单位和计划完成时间。"),
    Action("vote_in", "票决通过", frozenset({"system"}), description="按表决规则计算结果：通过。"),
    Action("vote_out", "未通过票决", frozenset({"system"}), description="按表决规则计算结果：未通过。"),
    Action("start", "开始实施", frozenset({"staff"}), (_p("due_date", "第一次进展报告期限", "date", required=False),),
           guards=("has_unit",), description="交责任单位实施：单位收到专属链接，按期报告进展。"),
    Action("report_progress", "报告实施进展", frozenset({"unit"}), (
        _p("percent", "完成百分比", "int"), _p("text", "进展情况", "textarea", max_length=5000)),
        description="责任单位报告实施进展（百分比、文字、照片）。"),
    Action("record_inspection", "记录集中视察", frozenset({"staff"}), (
        _p("day", "视察日期", "date"), _p("participants", "参加人员", "textarea", max_length=2000),
        _p("findings", "视察意见", "textarea", max_length=5000)), description="人大组织代表集中视察项目实施情况。"),
    Action("complete", "完成", frozenset({"staff", "unit"}), (_p("text", "完成情况", "textarea", max_length=5000),),
           description="项目完成，等待年底测评。"),
    Action("record_evaluation", "记录测评结果", frozenset({"system"}),
           description="测评轮次结束：满意、基本满意、不满意、弃权按投票人类别分别记在项目上。"),
    Action("withdraw", "撤销", frozenset({"staff"}), (_p("reason", "理由", "textarea"),),
           description="撤销项目（写明理由）。"),
]}
assert set(PROJECT_ACTIONS) == {t["trigger"] for t in PROJECT_TRANSITIONS}, "every project action has a row"
PROJECT_EVENT_LABELS = {a.id: a.label for a in PROJECT_ACTIONS.values()}

_SOURCES: dict[str, set[str]] = {}
for _row in PROJECT_TRANSITIONS:
    _SOURCES.setdefault(_row["trigger"], set()).update(
        _row["source"] if isinstance(_row["source"], list) else [_row["source"]])


def action_possible(action: str, state: str) -> bool:
    return state in _SOURCES.get(action, ())


PROJECT_MACHINE = Machine(model=None, states=list(PROJECT_STATES), transitions=PROJECT_TRANSITIONS, initial=None,
                          auto_transitions=False, ignore_invalid_triggers=False, model_attribute="state")


# ---------------------------------------------------------------- the vote at the session (票决)
VOTE_RULES = {
    "majority_of_all": "获得全体代表过半数赞成票的当选",
    "top_n": "按得票多少（或排序得分）取前 N 个",
    "majority_top_n": "获得全体代表过半数赞成票的，按得票多少取前 N 个",
}
TALLY_MODES = {"approval": "赞成、反对、弃权", "ranking": "排序计分"}


@dataclass(frozen=True)
class CandidateTally:
    """What the tellers counted for one candidate: never a single ballot."""

    project: int
    votes_for: int = 0
    against: int = 0
    abstain: int = 0
    points: int = 0  # ranking: the sum of the points the ballots gave it


@dataclass(frozen=True)
class VoteCount:
    rule: str
    mode: str
    total_deputies: int  # 全体代表 (the roster's number at the session)
    present: int
    ballots_cast: int
    seats: int  # how many projects are to be chosen (应选), for the top-N rules
    tallies: tuple[CandidateTally, ...]


@dataclass(frozen=True)
class VoteOutcome:
    elected: tuple[int, ...]
    rejected: tuple[int, ...]
    tied: tuple[int, ...]  # tied at the last seat: neither in nor out, a further vote decides (另行表决)
    ranking: tuple[int, ...]  # every candidate, best first
    threshold: Optional[int]  # the votes a majority of all deputies needs (more than half), when the rule asks


def check_count(count: VoteCount) -> str:
    """Why the counted figures cannot be right ("" when they can)."""
    if count.rule not in VOTE_RULES:
        return f"表决规则只能是：{'、'.join(VOTE_RULES)}。"
    if count.mode not in TALLY_MODES:
        return f"计票方式只能是：{'、'.join(TALLY_MODES)}。"
    if not 0 < count.total_deputies <= 100000 or not 0 <= count.ballots_cast <= count.present <= count.total_deputies:
        return "人数不对：应有 发出或收回的选票 ≤ 出席代表 ≤ 全体代表。"
    if count.rule != "majority_of_all" and not 0 < count.seats <= len(count.tallies):
        return "应选项目数应在 1 和候选项目数之间。"
    if not count.tallies or len({t.project for t in count.tallies}) != len(count.tallies):
        return "每个候选项目只能录入一次。"
    for t in count.tallies:
        if min(t.votes_for, t.against, t.abstain, t.points) < 0:
            return "票数不能为负。"
        if count.mode == "approval" and t.votes_for + t.against + t.abstain > count.ballots_cast:
            return f"项目 {t.project} 的赞成、反对、弃权票之和超过收回的选票数。"
    return ""


def _score(count: VoteCount, t: CandidateTally) -> int:
    return t.points if count.mode == "ranking" else t.votes_for


def decide(count: VoteCount) -> VoteOutcome:
    """The result under the count's rule. A tie that decides the last seat elects none of the tied."""
    ranking = sorted(count.tallies, key=lambda t: (-_score(count, t), t.project))
    threshold = count.total_deputies // 2 + 1 if count.rule in ("majority_of_all", "majority_top_n") else None
    eligible = [t for t in ranking if threshold is None or t.votes_for >= threshold]
    if count.rule == "majority_of_all":
        elected, tied = eligible, []
    else:
        elected, tied = _top(count, eligible, count.seats)
    chosen = {t.project for t in elected} | {t.project for t in tied}
    return VoteOutcome(tuple(t.project for t in elected), tuple(t.project for t in ranking if t.project not in chosen),
                       tuple(t.project for t in tied), tuple(t.project for t in ranking), threshold)


def _top(count: VoteCount, ranked: Sequence[CandidateTally], seats: int):
    if len(ranked) <= seats:
        return list(ranked), []
    cut = _score(count, ranked[seats - 1])
    above = [t for t in ranked if _score(count, t) > cut]
    at_cut = [t for t in ranked if _score(count, t) == cut]
    if len(above) + len(at_cut) <= seats:
        return above + at_cut, []
    return above, at_cut


# ---------------------------------------------------------------- 测评
def evaluation_rates(counts: dict[str, int]) -> dict[str, Optional[float]]:
    """满意率 = 满意 / (满意 + 基本满意 + 不满意); 满意和基本满意率 = (满意 + 基本满意) / the same; 弃权 is left out."""
    rated = counts.get("satisfied", 0) + counts.get("basically_satisfied", 0) + counts.get("unsatisfied", 0)
    if rated == 0:
        return {"satisfied_rate": None, "satisfaction_rate": None}
    return {"satisfied_rate": round(counts.get("satisfied", 0) / rated, 4),
            "satisfaction_rate": round((counts.get("satisfied", 0) + counts.get("basically_satisfied", 0)) / rated, 4)}
