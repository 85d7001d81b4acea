"""测评 rounds of livelihood projects (民生实事项目), run as a 集中评议 meeting is: the rules, pure.

A meeting is a 测评 round when its `round_kind` is one of `ROUND_KINDS` (年中测评 mid_year, 年底测评
year_end); "" is a 集中评议 of key proposals. A round's agenda holds the year's voted projects that are
being carried out or are done (`AGENDA_STATES`), each once. Its voters are counted apart by kind
(`VOTER_KINDS` of workflow/domain/projects.py): 人大代表 (a WeChat user bound to a deputy), 常委会组成人员
(a printed code of a batch of kind "member") and 群众 (a code of kind "public", or the open mode). Each
chooses 满意 / 基本满意 / 不满意 / 弃权 (`EVALUATION_CHOICES`); the rates leave 弃权 out
(workflow.domain.projects.evaluation_rates). When staff close an item its counts are recorded on the
project (workflow/engine/projects.py `record_evaluation`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.projects import EVALUATION_CHOICES, PROJECT_STATES, ROUND_KINDS, VOTER_KINDS, evaluation_rates

MEETING_KINDS = {"": "集中评议（重点督办建议）", **{k: f"{v}（民生实事项目）" for k, v in ROUND_KINDS.items()}}
AGENDA_STATES = ("implementing", "completed")
# The JSON keys of a round item's groups (the 集中评议 items have "deputies" and "public").
GROUP_KEYS = {"deputy": "deputies", "member": "members", "public": "public"}


def clean_round_kind(value: Optional[str]) -> str:
    """"" (a 集中评议) or one of ROUND_KINDS, as chosen when the meeting is created."""
    kind = (value or "").strip()
    if kind not in MEETING_KINDS:
        raise InvalidInput("请选择会议类型：集中评议、年中测评或年底测评。", field="round_kind")
    return kind


def check_may_add_project(state: str, already_on_agenda: bool, number: str) -> None:
    """Only a voted project being carried out or completed goes on a round's agenda, each once."""
    if state not in AGENDA_STATES:
        raise InvalidInput(f"项目 {number} 处于“{PROJECT_STATES.get(state, state)}”状态：只有实施中或已完成的"
                           "民生实事项目才能列入测评。", field="project")
    if already_on_agenda:
        raise InvalidInput(f"项目 {number} 已在本次测评的议程中。", field="project")


def vote_kind(ballot_kind: str) -> str:
    """Who a printed code scores as in a round: 常委会组成人员 for a member batch, else the public."""
    return "member" if ballot_kind == "member" else "public"


def check_person_unvoted(voted_in_wechat: bool) -> None:
    """A deputy who is also a 常委会组成人员 scores each item once, as one or the other."""
    if voted_in_wechat:
        raise NotAllowed("您（已在微信中识别为代表）已经为这一项评过分了：同一人每项只能评一次，原来的评分保持不变。")


@dataclass(frozen=True)
class Tally:
    """One voter kind's choices for one project in a round."""

    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    abstain: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied + self.abstain

    def counts(self) -> dict[str, int]:
        """What ProjectEngine.record_evaluation takes for one kind."""
        return {choice: getattr(self, choice) for choice in EVALUATION_CHOICES}

    def as_dict(self) -> dict:
        """The four counts, all the votes (弃权 too) and the two rates (弃权 left out)."""
        return {**self.counts(), "votes": self.total, **evaluation_rates(self.counts())}

    def summary(self) -> str:
        """满意 3、基本满意 1、不满意 0、弃权 1（共 5 票）."""
        return "、".join(f"{label} {getattr(self, key)}" for key, label in EVALUATION_CHOICES.items()) + \
            f"（共 {self.total} 票）"


def tallies_by_kind(rows: Iterable[tuple[str, str, int]]) -> dict[str, Tally]:
    """{deputy, member, public: Tally} from (vote kind, choice, number of votes) rows."""
    found = {kind: dict.fromkeys(EVALUATION_CHOICES, 0) for kind in VOTER_KINDS}
    for kind, choice, n in rows:
        if kind in found and choice in EVALUATION_CHOICES:
            found[kind][choice] += int(n)
    return {kind: Tally(**values) for kind, values in found.items()}


def record_counts(tallies: dict[str, Tally]) -> dict[str, dict[str, int]]:
    """The counts of a closed item as the project keeps them: {deputy|member|public: {choice: n}}."""
    return {kind: tallies.get(kind, Tally()).counts() for kind in VOTER_KINDS}


def already_recorded(evaluations: Optional[dict], meeting_id: int, counts: dict[str, dict[str, int]]) -> bool:
    """Whether the project already keeps exactly these counts of this round (recording again adds nothing)."""
    kept = (evaluations or {}).get(str(meeting_id))
    return isinstance(kept, dict) and all(kept.get(kind) == counts[kind] for kind in VOTER_KINDS)
