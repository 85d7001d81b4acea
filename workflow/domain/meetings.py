"""集中评议 (centralized evaluation meetings): the rules, as plain Python.

Staff put key-supervision proposals (重点督办) on a meeting's agenda; for each, the leading official
(领办领导) reports, then the room scores it 满意 / 基本满意 / 不满意 from their phones. Staff open an
item for voting and close it; one item is open at a time. A WeChat user bound to a deputy counts as a
deputy (once per item, by openid); the public scores with printed one-time ballot codes, each code each
item once, or, where the meeting accepts it, in the open mode: once per phone, and at most the meeting's
limit per item from one network address (workflow/domain/ballots.py).

Every check here is pure: it takes what the database said and returns or raises. The service that
reads and writes the rows is workflow/usecases/meetings.py; what the pages show, workflow/readmodels/meetings.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from workflow.domain.ballots import VOTE_MODES
from workflow.domain.definition import RATINGS
from workflow.domain.errors import InvalidInput, NotAllowed

ITEM_STATES = {"waiting": "未开始", "open": "评议中", "closed": "已结束"}
VOTER_KINDS = {"deputy": "代表", "public": "群众"}
TITLE_MAX = 200
REPORT_MAX = 20000
LEADER_MAX = 64


# ------------------------------------------------------------------ agenda
def clean_meeting(title: str, held_on: str) -> tuple[str, dt.date]:
    """A meeting's title and date as typed, checked."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput("请填写会议名称。", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"会议名称不能超过 {TITLE_MAX} 个字。", field="title")
    try:
        day = dt.date.fromisoformat(str(held_on or "").strip())
    except ValueError:
        raise InvalidInput("请按“年-月-日”填写会议日期，例如 2025-11-20。", field="held_on") from None
    return title, day


def check_may_add(key_supervision: bool, already_on_agenda: bool, number: Optional[str],
                  confidential: bool = False) -> None:
    """Only key-supervision proposals go on the agenda, each once, and never a confidential one: the
    room's phones and the screen show each item's title to anyone with the link."""
    if confidential:
        raise InvalidInput(f"建议 {number or ''} 要求保密，不能列入公开的集中评议（评分页面会公开其标题）。",
                           field="proposal")
    if not key_supervision:
        raise InvalidInput(f"建议 {number or ''} 不是重点督办建议，不能列入集中评议。", field="proposal")
    if already_on_agenda:
        raise InvalidInput(f"建议 {number or ''} 已在本次会议的议程中。", field="proposal")


def clean_report(leader: str, report: str) -> tuple[str, str]:
    leader, report = (leader or "").strip(), (report or "").strip()
    if len(leader) > LEADER_MAX:
        raise InvalidInput(f"领办领导不能超过 {LEADER_MAX} 个字。", field="leader")
    if len(report) > REPORT_MAX:
        raise InvalidInput(f"汇报内容不能超过 {REPORT_MAX} 个字。", field="report")
    return leader, report


def check_may_remove(state: str, votes: int) -> None:
    if state != "waiting" or votes:
        raise NotAllowed("这一项已经开始评议，不能再从议程中移除。")


# ------------------------------------------------------------------ the voting window
def check_may_open(state: str, open_titles: Iterable[str]) -> None:
    """An item opens once, from waiting, while no other item of the meeting is open."""
    if state == "open":
        raise NotAllowed("这一项已经在评议中。")
    if state == "closed":
        raise NotAllowed("这一项的评议已经结束，不能再次开放。")
    others = list(open_titles)
    if others:
        raise NotAllowed(f"“{others[0]}”还在评议中，请先结束它再开始下一项。")


def check_may_close(state: str) -> None:
    if state != "open":
        raise NotAllowed("这一项不在评议中，无需结束。" if state == "closed" else "这一项还没有开始评议。")


# ------------------------------------------------------------------ votes
def check_vote(state: str, rating: str, already_voted: bool, choices: Mapping[str, str] = RATINGS) -> None:
    """A score counts only while its item is open, with a known rating, once per phone and per WeChat user.
    `choices`: RATINGS at a 集中评议, EVALUATION_CHOICES (弃权 too) at a 测评 round."""
    if rating not in choices:
        labels = list(choices.values())
        raise InvalidInput(f"请选择 {'、'.join(labels[:-1])} 或 {labels[-1]}。", field="rating")
    if state == "waiting":
        raise NotAllowed("这一项还没有开始评议，请等主持人宣布开始后再评分。")
    if state != "open":
        raise NotAllowed("这一项的评议已经结束，不能再评分。")
    if already_voted:
        raise NotAllowed("您已经为这一项评过分了，每部手机每项只能评一次，原来的评分保持不变。")


def voter_kind(bound_deputy: bool) -> str:
    """A WeChat user bound to a deputy scores as a deputy; anyone else as the public."""
    return "deputy" if bound_deputy else "public"


# ------------------------------------------------------------------ counting
@dataclass(frozen=True)
class Counts:
    """Scores of one group (deputies or the public) for one item, or summed over many."""

    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def satisfaction_rate(self) -> Optional[float]:
        """(满意 + 基本满意) / scores, as DESIGN.md counts a deputy's own ratings; None without scores."""
        return (self.satisfied + self.basically_satisfied) / self.total if self.total else None

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.satisfied + other.satisfied, self.basically_satisfied + other.basically_satisfied,
                      self.unsatisfied + other.unsatisfied)

    def summary(self) -> str:
        """满意 3、基本满意 1、不满意 0 (共 4 票)."""
        return "、".join(f"{label} {getattr(self, key)}" for key, label in RATINGS.items()) + f"（共 {self.total} 票）"

    def as_dict(self) -> dict:
        rate = self.satisfaction_rate
        return {"satisfied": self.satisfied, "basically_satisfied": self.basically_satisfied,
                "unsatisfied": self.unsatisfied, "votes": self.total,
                "satisfaction_rate": None if rate is None else round(rate, 4)}


def counts_by_kind(rows: Iterable[tuple[str, str, int]], kinds: Iterable[str] = VOTER_KINDS) -> dict[str, Counts]:
    """{deputy: Counts, public: Counts} from (kind, rating, number of votes) rows (or, with
    `kinds=VOTE_MODES`, {openid, code, open: Counts} from (mode, rating, n) rows)."""
    found = {kind: dict.fromkeys(RATINGS, 0) for kind in kinds}
    for kind, rating, n in rows:
        if kind in found and rating in RATINGS:
            found[kind][rating] += int(n)
    return {kind: Counts(**values) for kind, values in found.items()}


def result_payload(meeting_title: str, held_on: dt.date, counts: dict[str, Counts],
                   modes: Optional[dict[str, Counts]] = None) -> dict:
    """What the proposal's event "集中评议结果" keeps: readable lines and the figures (with `modes`, the
    public's scores by the way they came: ballot codes, the open mode)."""
    payload = {"meeting": f"{meeting_title}（{held_on:%Y-%m-%d}）",
               "deputy_result": counts["deputy"].summary(), "public_result": counts["public"].summary(),
               "scores": {kind: c.as_dict() for kind, c in counts.items()}}
    if modes is not None:
        payload["public_modes"] = "；".join(f"{VOTE_MODES[m]} {modes[m].total} 票" for m in ("code", "open"))
        payload["scores_by_mode"] = {mode: c.as_dict() for mode, c in modes.items()}
    return payload


@dataclass(frozen=True)
class Voter:
    """Who scores: the phone's long random cookie, the WeChat openid when WeChat told us, the keyed hash
    of the ballot code it brought (workflow/domain/ballots.py), and that of its network address."""

    cookie: str
    openid: str = ""
    ballot: str = ""
    address: str = ""

    @property
    def key(self) -> str:
        return _digest("voter", self.cookie)

    @property
    def ballot_voter_key(self) -> str:
        """What a code's score keeps as its voter: the code, not the phone (one phone may carry a
        neighbour's slip too; each slip scores each item once)."""
        return _digest("ballot", self.ballot)

    @property
    def openid_key(self) -> Optional[str]:
        return _digest("openid", self.openid) if self.openid else None


def _digest(purpose: str, value: str) -> str:
    return hashlib.sha256(f"{purpose}:{value}".encode()).hexdigest()
