"""What the meeting pages show: the list of meetings, one meeting with its agenda and counts, the item
open for voting, the proposals that may be put on the agenda, a phone's (or a ballot code's) own scores.
A 测评 round's items are livelihood projects (workflow/readmodels/evaluation_rounds.py gives their parts).
Read only; the meeting's actions are workflow/usecases/meetings.py."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Deputy, Meeting, MeetingItem, MeetingLog, MeetingVote, Proposal
from storage.models.meetings import MeetingBallot
from workflow.domain import meetings as rules
from workflow.domain.ballots import PUBLIC_MODES, VOTE_MODES
from workflow.domain.definition import RATINGS, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import NotFound
from workflow.domain.evaluation_rounds import GROUP_KEYS, MEETING_KINDS, Tally
from workflow.domain.meetings import Voter
from workflow.domain.projects import EVALUATION_CHOICES, ROUND_KINDS
from workflow.readmodels.evaluation_rounds import project_on_agenda, tallies_of_items

LOG_LABELS = {"create": "创建会议", "add_item": "列入议程", "remove_item": "移出议程", "move_item": "调整顺序",
              "report": "录入领办领导汇报", "open": "开始评议", "close": "结束评议",
              "public_mode": "设置群众评分方式", "ballots": "生成评分票", "void_ballots": "作废评分票",
              "recorded": "测评结果记入项目", "record_failed": "测评结果未能记入项目"}


@dataclass
class ItemView:
    id: int
    position: int
    state: str
    ref: str
    number: Optional[str]
    title: str
    leader: str
    report: str
    units: str
    counts: dict[str, rules.Counts]
    opened_at: Optional[dt.datetime] = None
    closed_at: Optional[dt.datetime] = None
    modes: dict[str, rules.Counts] = field(default_factory=dict)  # openid | code | open
    kind: str = "proposal"  # proposal (集中评议) | project (测评)
    tallies: dict[str, Tally] = field(default_factory=dict)  # a project's: deputy | member | public
    recorded: bool = False  # a closed project item: its counts are kept on the project

    @property
    def state_label(self) -> str:
        return rules.ITEM_STATES[self.state]

    def as_dict(self) -> dict:
        body = {"id": self.id, "position": self.position, "state": self.state, "state_label": self.state_label,
                "kind": self.kind, "number": self.number, "title": self.title, "leader": self.leader,
                "units": self.units}
        if self.kind == "project":
            return {**body, **{GROUP_KEYS[k]: t.as_dict() for k, t in self.tallies.items()},
                    "recorded": self.recorded}
        return {**body, "deputies": self.counts["deputy"].as_dict(), "public": self.counts["public"].as_dict(),
                "by_mode": {mode: c.as_dict() for mode, c in self.modes.items()}}


@dataclass
class MeetingView:
    id: int
    title: str
    held_on: dt.date
    vote_token: str
    created_by_name: str
    items: list[ItemView]
    log: list[tuple[dt.datetime, str, str, str]] = field(default_factory=list)  # (at, who, what, detail)
    public_mode: str = "codes"
    open_limit: int = 0
    round_kind: str = ""  # "" (集中评议) | mid_year | year_end (测评)

    @property
    def is_round(self) -> bool:
        return self.round_kind in ROUND_KINDS

    @property
    def kind_label(self) -> str:
        return MEETING_KINDS.get(self.round_kind, self.round_kind)

    @property
    def choices(self) -> dict[str, str]:
        """What a voter chooses: 满意 / 基本满意 / 不满意, and 弃权 at a 测评 round."""
        return EVALUATION_CHOICES if self.is_round else RATINGS

    @property
    def public_mode_label(self) -> str:
        return PUBLIC_MODES.get(self.public_mode, self.public_mode)

    @property
    def accepts_open(self) -> bool:
        return self.public_mode == "codes_open"

    @property
    def open_item(self) -> Optional[ItemView]:
        return next((i for i in self.items if i.state == "open"), None)


async def list_meetings(db: Database) -> list[tuple[Meeting, int]]:
    """Every meeting, newest first, with the number of items on its agenda."""
    items = select(MeetingItem.meeting_id, func.count().label("n")).group_by(MeetingItem.meeting_id).subquery()
    query = (select(Meeting, func.coalesce(items.c.n, 0)).outerjoin(items, items.c.meeting_id == Meeting.id)
             .order_by(Meeting.held_on.desc(), Meeting.id.desc()))
    async with db.read() as session:
        return [(m, int(n)) for m, n in (await session.execute(query)).all()]


async def meeting_view(db: Database, meeting_id: Optional[int] = None, token: Optional[str] = None,
                       with_log: bool = False) -> MeetingView:
    """A meeting (by id, or by the token of its public page) with its agenda and every item's scores."""
    async with db.read() as session:
        clause = Meeting.id == meeting_id if token is None else Meeting.vote_token == token
        meeting = (await session.execute(select(Meeting).where(clause))).scalars().first()
        if meeting is None:
            raise NotFound("找不到这次评议会议。" if token is None else "评议链接无效，请重新扫描会场的二维码。")
        items = list((await session.execute(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id)
                                            .order_by(MeetingItem.position, MeetingItem.id))).scalars())
        counts = await counts_of_items(session, [i.id for i in items])
        modes = await counts_of_items(session, [i.id for i in items], by_mode=True)
        tallies = await tallies_of_items(session, [i.id for i in items if i.project_id is not None])
        views = [await _project_item_view(session, item, counts[item.id], tallies[item.id]) if item.id in tallies
                 else await _item_view(session, item, counts[item.id], modes[item.id]) for item in items]
        log = await _log_lines(session, meeting.id, {i.id: i.title for i in views}) if with_log else []
    return MeetingView(meeting.id, meeting.title, meeting.held_on, meeting.vote_token, meeting.created_by_name,
                       views, log, meeting.public_mode, meeting.open_limit, meeting.round_kind)


async def _project_item_view(session: AsyncSession, item: MeetingItem, counts: dict[str, rules.Counts],
                             tallies: dict[str, Tally]) -> ItemView:
    project = await project_on_agenda(session, item, tallies)
    return ItemView(item.id, item.position, item.state, project.number, project.number, project.title,
                    item.leader, item.report, project.units, counts, item.opened_at, item.closed_at,
                    kind="project", tallies=tallies, recorded=project.recorded)


async def _item_view(session: AsyncSession, item: MeetingItem, counts: dict[str, rules.Counts],
                     modes: dict[str, rules.Counts]) -> ItemView:
    proposal = await session.get(Proposal, item.proposal_id)
    units = "、".join(a.unit.name for a in proposal.assignments if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES)
    return ItemView(item.id, item.position, item.state, proposal.ref, proposal.number, proposal.title,
                    item.leader, item.report, units, counts, item.opened_at, item.closed_at, modes)


async def counts_of_items(session: AsyncSession, item_ids: list[int],
                          by_mode: bool = False) -> dict[int, dict[str, rules.Counts]]:
    """Each item's scores: {deputy, public: Counts}, or with `by_mode` {openid, code, open: Counts}."""
    group = MeetingVote.mode if by_mode else MeetingVote.kind
    rows: dict[int, list] = {i: [] for i in item_ids}
    if item_ids:
        query = (select(MeetingVote.item_id, group, MeetingVote.rating, func.count())
                 .where(MeetingVote.item_id.in_(item_ids))
                 .group_by(MeetingVote.item_id, group, MeetingVote.rating))
        for item_id, kind, rating, n in (await session.execute(query)).all():
            rows[item_id].append((kind, rating, n))
    kinds = VOTE_MODES if by_mode else rules.VOTER_KINDS
    return {i: rules.counts_by_kind(found, kinds) for i, found in rows.items()}


async def _log_lines(session: AsyncSession, meeting_id: int, titles: dict[int, str]) -> list[tuple[dt.datetime, str, str, str]]:
    rows = (await session.execute(select(MeetingLog).where(MeetingLog.meeting_id == meeting_id)
                                  .order_by(MeetingLog.id))).scalars()
    return [(r.created_at, r.actor_name or r.actor_id, LOG_LABELS.get(r.action, r.action), _log_detail(r, titles))
            for r in rows]


def _log_detail(row: MeetingLog, titles: dict[int, str]) -> str:
    detail = row.detail or {}
    if row.action == "ballots":
        kind = "（常委会组成人员）" if detail.get("kind") == "member" else ""
        return f"第 {detail.get('batch')} 批{kind}，编号 {detail.get('first')}–{detail.get('last')}"
    if row.action in ("recorded", "record_failed"):
        title = titles.get(row.item_id, "")
        return f"{title}（{detail.get('project', '')}）" + (f"：{detail['problem']}" if detail.get("problem") else "")
    if row.action == "void_ballots":
        which = f"第 {detail['batch']} 批" if "batch" in detail else f"编号 {detail.get('serials', '')}"
        return f"{which}，作废 {detail.get('voided', 0)} 张"
    if row.action == "public_mode":
        limit = f"（同一网络地址每项最多 {detail.get('open_limit')} 票）" if detail.get("mode") == "codes_open" else ""
        return f"{detail.get('label', '')}{limit}"
    return titles.get(row.item_id, detail.get("title", "")) if row.item_id else detail.get("title", "")


async def open_item_id(db: Database, token: str) -> Optional[int]:
    """The item open for scoring at the meeting of this public token (one small query: phones poll it)."""
    async with db.read() as session:
        meeting_id = (await session.execute(select(Meeting.id).where(Meeting.vote_token == token))).scalar()
        if meeting_id is None:
            raise NotFound("评议链接无效，请重新扫描会场的二维码。")
        return (await session.execute(select(MeetingItem.id).where(
            MeetingItem.meeting_id == meeting_id, MeetingItem.state == "open").limit(1))).scalar()


async def candidates(db: Database, meeting_id: int) -> list[Proposal]:
    """Key-supervision proposals not yet on this meeting's agenda (never a confidential one), newest year first."""
    taken = select(MeetingItem.proposal_id).where(MeetingItem.meeting_id == meeting_id,
                                                  MeetingItem.proposal_id.is_not(None))
    query = (select(Proposal).where(Proposal.key_supervision.is_(True), Proposal.confidential.is_(False),
                                    Proposal.id.not_in(taken))
             .order_by(Proposal.year.desc(), Proposal.number))
    async with db.read() as session:
        return list((await session.execute(query)).scalars())


async def votes_of(db: Database, token: str, voter: Voter, ballot_id: Optional[int] = None) -> dict[int, str]:
    """{item id: rating} of the scores this phone (or WeChat user) gave at the meeting; with `ballot_id`,
    those of that ballot code."""
    if ballot_id is not None:
        clause = MeetingVote.ballot_id == ballot_id
    else:
        clause = (MeetingVote.voter == voter.key) & MeetingVote.ballot_id.is_(None)
        if voter.openid_key:
            clause = clause | (MeetingVote.openid_hash == voter.openid_key)
    query = (select(MeetingVote.item_id, MeetingVote.rating).join(MeetingItem, MeetingItem.id == MeetingVote.item_id)
             .join(Meeting, Meeting.id == MeetingItem.meeting_id).where(Meeting.vote_token == token, clause))
    async with db.read() as session:
        return dict((await session.execute(query)).all())


async def ballot_of(session: AsyncSession, meeting_id: int, code_key: str) -> Optional[MeetingBallot]:
    """The printed code of this meeting with this keyed hash (None: forged, mistyped or another meeting's)."""
    if not code_key:
        return None
    return (await session.execute(select(MeetingBallot).where(
        MeetingBallot.meeting_id == meeting_id, MeetingBallot.code_hash == code_key))).scalars().first()


@dataclass(frozen=True)
class BallotOnPage:
    """The ballot code a phone brought, as its page shows it."""

    id: int
    serial: int
    voided: bool
    kind: str = "public"  # public | member (常委会组成人员, a 测评 round's)


async def ballot_on_page(db: Database, meeting_id: int, code_key: str) -> Optional[BallotOnPage]:
    async with db.read() as session:
        ballot = await ballot_of(session, meeting_id, code_key)
        return BallotOnPage(ballot.id, ballot.serial, ballot.voided_at is not None, ballot.kind) if ballot else None


async def ballot_used(session: AsyncSession, item_id: int, ballot_id: int) -> bool:
    found = await session.execute(select(MeetingVote.id).where(
        MeetingVote.item_id == item_id, MeetingVote.ballot_id == ballot_id).limit(1))
    return found.first() is not None


async def open_votes_from(session: AsyncSession, item_id: int, address_key: str) -> int:
    """How many open-mode scores this item already has from one network address (its keyed hash)."""
    return (await session.execute(select(func.count()).select_from(MeetingVote).where(
        MeetingVote.item_id == item_id, MeetingVote.address_hash == address_key))).scalar_one()


async def has_voted(session: AsyncSession, item_id: int, voter: Voter) -> bool:
    clause = MeetingVote.voter == voter.key
    if voter.openid_key:
        clause = clause | (MeetingVote.openid_hash == voter.openid_key)
    found = await session.execute(select(MeetingVote.id).where(MeetingVote.item_id == item_id, clause).limit(1))
    return found.first() is not None


async def deputy_name(db: Database, openid: str) -> str:
    """The name of the deputy bound to this WeChat user ("" when none): the page greets them."""
    if not openid:
        return ""
    async with db.read() as session:
        deputy = await bound_deputy(session, openid)
    return deputy.name if deputy else ""


async def bound_deputy(session: AsyncSession, openid: str) -> Optional[Deputy]:
    if not openid:
        return None
    return (await session.execute(select(Deputy).where(Deputy.openid == openid, Deputy.active.is_(True)))).scalars().first()
