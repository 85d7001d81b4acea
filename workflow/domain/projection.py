"""The tables as a projection of the log: what a proposal's events say its rows must be.

Statistics, `/replies` and the pages read `proposals`, `assignments`, `replies` and `evaluations`,
not the events. An intruder who flips a rating or rewrites a reply's text in those tables leaves the
chain intact; this module folds a proposal's (verified) events into the rows they imply and names
every row that differs. Each action's payload records what it wrote (workflow/engine/effects.py and
engine.py `_record`); where an older payload (before migration 0008) does not say, that field is not
checked. Rows are matched to the events that created them in order: within one proposal, writes are
serialised by its row lock, so ids grow in the order of the events.

并案办理 (`proposals.group_id`): each proposal's own `combine`/`uncombine` events say whether it is in a
group and which proposal leads it (workflow/engine/grouping.py): the lead's event lists `members` (and,
taking one out, whether the group was `emptied`), a member's names its `lead`; both carry the group's id.
The group is compared by its lead's number first, since that is what staff know it by; the id is then
checked too, which tells a moved proposal from a rewritten `handling_groups` row.

Pure: events and rows in (anything with the attributes), messages in Chinese out.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Optional

from workflow.domain.definition import NO_FEEDBACK, PROMISING_CATEGORIES, RATING_LABELS

Row = Any

PROPOSAL_FIELDS = {"state": "状态", "number": "编号", "title": "标题", "category": "类别", "lead": "领衔代表",
                   "content_sha256": "内容", "confidential": "保密", "face_to_face": "当面答复",
                   "key_supervision": "重点督办", "key_leader": "领办领导", "key_committee": "督办工委",
                   "key_proposed": "建议列为重点督办", "round": "办理轮次", "unsatisfied_count": "不满意次数",
                   "session_id": "所属会议", "kind": "建议类型", "official_number": "正式编号", "origin": "来源"}
REPLY_FIELDS = {"assignment_id": "所属交办", "round": "轮次", "category": "类别", "text": "内容", "signer": "签发人",
                "promise_date": "承诺解决时间", "on_time": "按期", "published": "公开"}
EVALUATION_FIELDS = {"kind": "种类", "rating": "评价结果", "reason": "理由", "deputy": "评价代表",
                     "entered_by": "代录人", "reply_id": "所评答复", "assignment_id": "所属交办",
                     "attitude": "办理态度", "contacted": "是否联系", "contact_method": "联系方式",
                     "opinion": "意见和建议", "form_date": "填表日期"}
# The 征询意见表's answers a reply's rating event records (from migration 0019; older events have none).
OPINION_FORM_KEYS = ("attitude", "contacted", "contact_method", "opinion", "form_date")
ASSIGNMENT_FIELDS = {"unit": "单位", "role": "角色", "state": "状态", "reply_due": "答复期限",
                     "link_version": "链接版本"}
KIND_LABELS = {"reply": "答复评价", "implementation": "落实评价"}


def text_digest(text: str) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


@dataclass
class Expected:
    """What the events say the rows are."""

    proposal: dict[str, Any] = field(default_factory=dict)
    replies: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    group: Optional[dict[str, Any]] = None  # 并案: {"lead": number, "group": id or None}; None: handled alone


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def fold(events: list[Row], replies: list[Row], assignments: list[Row], check_assignments: bool) -> Expected:
    """The rows `events` imply; `replies` and `assignments` give the ids rows were created with."""
    out = Expected()
    out.proposal.update(round=1, unsatisfied_count=0, key_supervision=False, key_proposed=False)
    reply_ids = [r.id for r in replies]
    assignment_ids = [a.id for a in assignments]
    by_id: dict[int, dict] = {}
    for event in events:
        p = event.payload or {}
        _fold_proposal(out.proposal, event, p)
        if event.action in ("combine", "uncombine"):
            out.group = _fold_group(out.group, event.action, p, out.proposal.get("number"))
        elif event.action in ("reply", "answer_again"):
            out.replies.append({"assignment_id": event.assignment_id, "round": out.proposal["round"],
                                "category": p.get("category"), "text": p.get("text"), "signer": p.get("signer"),
                                "promise_date": p.get("promise_date") or None, "on_time": p.get("on_time", True),
                                "published": False})
        elif event.action in ("publish_reply", "unpublish_reply"):
            index = _index(reply_ids, p.get("reply_id"))
            if index is None or index >= len(out.replies):
                out.problems.append(f"事件第 {event.seq} 条公开或撤回的答复 #{p.get('reply_id')} 不在数据表中。")
            else:
                out.replies[index]["published"] = event.action == "publish_reply"
        elif event.action in ("evaluate_reply", "evaluate_implementation"):
            out.evaluations.extend(_evaluations(event, p, out.replies, reply_ids))
        elif event.action == "lapse_rating":  # 未反馈, recorded by the engine when a rating window closed
            for item in p.get("lapsed", []):
                index = _index(reply_ids, item.get("reply_id"))
                out.evaluations.append({
                    "kind": item.get("kind"), "rating": NO_FEEDBACK, "reason": "", "deputy": item.get("deputy"),
                    "entered_by": "", "reply_id": item.get("reply_id"),
                    **({"assignment_id": out.replies[index]["assignment_id"]}
                       if index is not None and index < len(out.replies) else {})})
        if check_assignments:
            _fold_assignments(out, event, p, assignment_ids, by_id)
    return out


def _fold_session(fields: dict, p: dict) -> None:
    if "official_number" in p:  # numbered within a registered session (届/次)
        fields.update(session_id=p.get("session"), kind=p.get("kind"), official_number=p["official_number"])


def _fold_proposal(fields: dict, event: Row, p: dict) -> None:
    fields["state"] = event.to_state
    action = event.action
    if action == "create":
        fields["lead"] = event.on_behalf_id or event.actor_id
        fields.update({k: p[k] for k in ("title", "category", "content_sha256", "confidential", "face_to_face",
                                         "origin") if k in p})
    elif action == "revise":
        fields.update({k: p[k] for k in ("title", "category") if k in p})
        if "content" in p:
            fields["content_sha256"] = text_digest(p["content"])
    elif action == "submit" and "number" not in fields and p.get("number"):
        fields["number"] = p["number"]
        _fold_session(fields, p)
    elif action == "correct_session":
        if "origin" in p:
            fields["origin"] = p["origin"]
        _fold_session(fields, p)
    elif action == "accept":
        fields["category"] = p.get("category")
    elif action == "mark_key":
        fields.update(key_supervision=True, key_leader=p.get("leader", ""), key_committee=p.get("committee", ""),
                      key_proposed=False)
    elif action == "decide" and p.get("decision") == "key_supervision":
        fields.update(key_supervision=True, key_leader=p.get("leader", ""), key_proposed=False)
    elif action == "evaluate_reply":
        if "unsatisfied_count" in p:  # per unit and round: the most re-handled unit's count
            fields["unsatisfied_count"] = p["unsatisfied_count"]
        elif p.get("rating") == "unsatisfied":  # older payloads: one count per 不满意
            fields["unsatisfied_count"] += 1
        if p.get("key_proposed"):
            fields["key_proposed"] = True
    if event.to_state == "rehandling" and event.from_state != "rehandling":
        fields["round"] += 1


def _fold_group(group: Optional[dict], action: str, p: dict, own_number: Optional[str]) -> Optional[dict]:
    """The group a proposal is in after one of its 并案 events (the lead's or a member's)."""
    leads = "members" in p or "member" in p  # the lead's own event; a member's names the lead instead
    if action == "combine":
        return {"lead": own_number if leads else p.get("lead"), "group": p.get("group")}
    if leads and not p.get("emptied"):  # a member was taken out; the lead still leads the others
        return group
    return None


def _evaluations(event: Row, p: dict, replies: list[dict], reply_ids: list[int]) -> list[dict]:
    common = {"reason": p.get("reason", ""), "deputy": event.on_behalf_id or event.actor_id,
              "entered_by": event.actor_id if event.on_behalf_kind else ""}
    if event.action == "evaluate_reply":
        rated = {"reply_id": p["reply_id"]} if "reply_id" in p else {}
        index = _index(reply_ids, p.get("reply_id"))
        if index is not None and index < len(replies):
            rated["assignment_id"] = replies[index]["assignment_id"]
        form = {k: p[k] for k in OPINION_FORM_KEYS if k in p}
        found = [{"kind": "reply", "rating": p.get("rating"), **common, **rated, **form}]
        if p.get("reply_category") == "A" and p.get("implementation_rating"):
            # The A reply's implementation, rated on the same form. (Payloads before 0016 always carried it.)
            found.append({"kind": "implementation", "rating": p.get("implementation_rating"),
                          **common, **rated, "reason": p.get("implementation_reason", common["reason"])})
        return found
    targets = p.get("reply_ids")
    if targets is None:  # older payloads: the effect's rule, newest reply of each unit, B/C first
        newest: dict[Any, int] = {}
        for index, reply in enumerate(replies):
            newest[reply["assignment_id"]] = index
        chosen = [i for _, i in sorted(newest.items())]
        promising = [i for i in chosen if replies[i]["category"] in PROMISING_CATEGORIES]
        indexes = promising or chosen
    else:
        indexes = [i for i in (_index(reply_ids, r) for r in targets) if i is not None]
    return [{"kind": "implementation", "rating": p.get("rating"), **common,
             **({"reply_id": reply_ids[i]} if i < len(reply_ids) else {}),
             "assignment_id": replies[i]["assignment_id"] if i < len(replies) else None} for i in indexes]


def _fold_assignments(out: Expected, event: Row, p: dict, ids: list[int], by_id: dict[int, dict]) -> None:
    for new in p.get("new_assignments", []):
        row = {"unit": new.get("unit"), "role": new.get("role"), "state": "pending",
               "reply_due": new.get("reply_due"), "link_version": 1}
        index = len(out.assignments)
        out.assignments.append(row)
        if index < len(ids):
            by_id[ids[index]] = row
    for key, change in (p.get("assignment_changes") or {}).items():
        row = by_id.get(int(key))
        if row is None:
            out.problems.append(f"事件第 {event.seq} 条改动的交办 #{key} 不在数据表中。")
            continue
        row.update({k: v for k, v in change.items() if k in ("state", "reply_due")})
    if event.action == "revoke_link" and event.assignment_id in by_id:
        by_id[event.assignment_id]["link_version"] = p.get("link_version")


def _index(ids: list[int], wanted: Optional[int]) -> Optional[int]:
    try:
        return ids.index(wanted)
    except ValueError:
        return None


def compare(expected: Expected, proposal: Row, replies: list[Row], evaluations: list[Row],
            assignments: Optional[list[Row]]) -> list[str]:
    """Every difference between the rows and what the events say, in Chinese (empty when none)."""
    problems = list(expected.problems)
    actual = {name: getattr(proposal, name, None) for name in PROPOSAL_FIELDS}
    actual["lead"] = proposal.lead_number
    actual["content_sha256"] = text_digest(proposal.content)
    for name, value in expected.proposal.items():
        if name in PROPOSAL_FIELDS and _differs(value, actual[name]):
            problems.append(f"建议的“{PROPOSAL_FIELDS[name]}”是{_shown(name, actual[name])}，"
                            f"事件记录为{_shown(name, value)}：建议记录被改动。")
    problems += _rows("答复", replies, expected.replies, REPLY_FIELDS, lambda r: f"答复 #{r.id}")
    problems += _rows("评价", evaluations, expected.evaluations, EVALUATION_FIELDS,
                      lambda r: f"评价 #{r.id}（{KIND_LABELS.get(r.kind, r.kind)}）")
    if assignments is not None:
        problems += _rows("交办", assignments, expected.assignments, ASSIGNMENT_FIELDS, lambda r: f"交办 #{r.id}")
    return problems + _group_problems(expected.group, proposal)


def _group_problems(expected: Optional[dict], proposal: Row) -> list[str]:
    """`proposals.group_id` against the 并案 events; `proposal` also carries `group_row` (the id of the
    handling_groups row it points to, None when there is none) and `group_lead` (that row's lead's number)."""
    group_id = getattr(proposal, "group_id", None)
    if expected is None and group_id is None:
        return []
    if expected is not None and not expected["lead"]:  # a number the events did not fold: the proposal's own
        expected = {**expected, "lead": proposal.number}
    table, wanted = _table_group(proposal), _group_shown(expected)
    recorded_id = expected.get("group") if expected is not None else None
    if expected is None or group_id is None:
        return [f"建议的“并案办理”是{table}，事件记录为{wanted}：建议记录被改动。"]
    if proposal.group_row is None or proposal.group_lead != expected["lead"]:
        whose = "并案记录（handling_groups）" if recorded_id == group_id else "建议记录"
        return [f"建议的“并案办理”是{table}，事件记录为{wanted}：{whose}被改动。"]
    if recorded_id is not None and recorded_id != group_id:
        return [f"建议所在并案的编号是 #{group_id}，事件记录为 #{recorded_id}（同由建议 {expected['lead']} 牵头）："
                "建议记录或并案记录被改动。"]
    return []


def _group_shown(group: Optional[dict]) -> str:
    if group is None:
        return "“单独办理（不在并案中）”"
    return f"“在建议 {group['lead']} 牵头的并案中”"


def _table_group(proposal: Row) -> str:
    if getattr(proposal, "group_id", None) is None:
        return "“单独办理（不在并案中）”"
    if proposal.group_row is None:
        return f"“并案 #{proposal.group_id}”（并案记录不存在）"
    if proposal.group_lead is None:
        return f"“并案 #{proposal.group_id}”（牵头建议不存在）"
    return f"“在建议 {proposal.group_lead} 牵头的并案中”"


def _rows(label: str, rows: list[Row], wanted: list[dict], fields: dict[str, str], name) -> list[str]:
    problems = []
    for row, expect in zip(rows, wanted):
        for key, value in expect.items():
            if key in fields and _differs(value, getattr(row, key, None)):
                problems.append(f"{name(row)} 的“{fields[key]}”是{_shown(key, getattr(row, key, None))}，"
                                f"事件记录为{_shown(key, value)}：{label}记录被改动。")
    if len(rows) > len(wanted):
        extra = "、".join(name(r) for r in rows[len(wanted):])
        problems.append(f"{label}记录比事件多：{extra} 没有对应的事件（被伪造）。")
    elif len(rows) < len(wanted):
        problems.append(f"事件记录了 {len(wanted)} 条{label}，数据表中只有 {len(rows)} 条：{label}记录被删除。")
    return problems


def _differs(expected: Any, actual: Any) -> bool:
    return _iso(expected) != _iso(actual)


def _shown(name: str, value: Any) -> str:
    if name == "content_sha256":
        return f"（摘要 {str(value)[:12]}）"
    if isinstance(value, bool):
        return "“是”" if value else "“否”"
    if name == "rating":
        return f"“{RATING_LABELS.get(value, value)}”"
    if value is None or value == "":
        return "空"
    text = str(_iso(value))
    return f"“{text[:40]}{'…' if len(text) > 40 else ''}”"
