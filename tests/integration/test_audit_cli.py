"""`python run.py audit verify` passes on an intact event log and fails, naming what was changed, once the
database is edited behind the engine's back (raw SQL, as an intruder with database access but without
the key file would): an event edited even with the whole unkeyed chain recomputed, events deleted with
the stored head moved back, ratings and reply texts changed in the tables, a whole proposal deleted."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.support.api import Api
from tests.support.audit import (
    as_datetime,
    delete_proposal,
    event_ids,
    execute,
    json_param,
    problem_lines,
    proposal_id,
    rows,
    run_audit,
)
from workflow.domain.chain import legacy_event_hash


@pytest.fixture
async def numbers(client, auth, clock) -> list[str]:
    """Two proposals with a few events each: one closed, one half-way."""
    api = Api(client, auth, clock)
    await api.roster()
    closed = await api.take_to("closed")
    handling = await api.take_to("handling")
    return [closed, handling]


async def test_audit_passes_on_an_intact_event_log_and_writes_the_first_anchor(settings, numbers):
    code, output = await run_audit(settings)
    assert code == 0, output
    assert "审计通过" in output and "2 件建议" in output and "数据表与事件一致" in output
    assert "已写入第 1 号回执" in output
    code, output = await run_audit(settings)
    assert code == 0 and "已与第 1 号回执" in output, output


async def test_audit_fails_naming_the_event_whose_payload_was_edited(settings, db, numbers):
    target = (await event_ids(db, numbers[0]))[2]
    await execute(db, (f"UPDATE events SET payload = {json_param(db)} WHERE id = :id",
                       {"p": json.dumps({"category": "农业"}, ensure_ascii=False), "id": target}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == 1 and f"事件 #{target}（第 3 条）" in lines[0] and "被修改" in lines[0]
    assert "审计失败" in output and "未写入新回执" in output


async def _recompute_unkeyed_chain(db, number: str, start: int, **changes) -> None:
    """Edit event `start` (0-based) and rehash it and every later event with plain SHA-256, head included:
    the old, unkeyed chain would verify again."""
    found = await rows(db, "SELECT e.* FROM events e JOIN proposals p ON p.id = e.proposal_id "
                           "WHERE p.number = :n ORDER BY e.seq", n=number)
    events = [SimpleNamespace(**row._mapping) for row in found]
    for event in events:
        event.payload = json.loads(event.payload) if isinstance(event.payload, str) else event.payload
        event.created_at = as_datetime(event.created_at)
    statements, prev = [], events[start - 1].hash
    for index, event in enumerate(events[start:]):
        if index == 0:
            vars(event).update(changes)
        event.prev_hash = prev
        event.hash = prev = legacy_event_hash(event)
        statements.append(("UPDATE events SET actor_name = :name, prev_hash = :prev, hash = :hash WHERE id = :id",
                           {"name": event.actor_name, "prev": event.prev_hash, "hash": event.hash, "id": event.id}))
    statements.append(("UPDATE proposals SET last_event_hash = :h WHERE number = :n", {"h": prev, "n": number}))
    await execute(db, *statements)


async def test_audit_fails_when_an_edit_recomputes_the_unkeyed_chain_up_to_the_head(settings, db, numbers):
    """(a) Without the key a recomputed chain does not verify: every rehashed event is named."""
    ids = await event_ids(db, numbers[0])
    await _recompute_unkeyed_chain(db, numbers[0], 3, actor_name="冒名者")
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == len(ids) - 3, lines
    assert f"事件 #{ids[3]}（第 4 条）" in lines[0] and all("用审计密钥算出的哈希不符" in line for line in lines)


async def test_audit_fails_naming_the_gap_after_an_event_is_deleted(settings, db, numbers):
    ids = await event_ids(db, numbers[1])
    await execute(db, ("UPDATE outbox SET event_id = NULL WHERE event_id = :id", {"id": ids[2]}),
                  ("DELETE FROM events WHERE id = :id", {"id": ids[2]}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert lines and all(f"事件 #{ids[3]}（第 4 条）" in line for line in lines)
    assert any("删除" in line for line in lines)


async def test_audit_fails_when_the_newest_event_is_deleted(settings, db, numbers):
    ids = await event_ids(db, numbers[1])
    await execute(db, ("UPDATE outbox SET event_id = NULL WHERE event_id = :id", {"id": ids[-1]}),
                  ("DELETE FROM events WHERE id = :id", {"id": ids[-1]}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == 1 and "事件链末尾" in lines[0] and "删除" in lines[0]


async def test_audit_names_events_deleted_with_the_head_moved_back_since_the_anchor(settings, db, numbers):
    """(b) The chain left verifies; the newest anchor, outside the database, still says it was longer."""
    assert (await run_audit(settings))[0] == 0
    ids = await event_ids(db, numbers[1])
    previous = (await rows(db, "SELECT hash FROM events WHERE id = :id", id=ids[-2]))[0][0]
    await execute(db, ("UPDATE outbox SET event_id = NULL WHERE event_id = :id", {"id": ids[-1]}),
                  ("DELETE FROM action_receipts WHERE event_id = :id", {"id": ids[-1]}),
                  ("DELETE FROM events WHERE id = :id", {"id": ids[-1]}),
                  ("UPDATE proposals SET last_event_hash = :h, event_count = event_count - 1 WHERE number = :n",
                   {"h": previous, "n": numbers[1]}))
    code, output = await run_audit(settings)
    assert code == 1, output
    pid = await proposal_id(db, numbers[1])
    named = [line for line in problem_lines(output) if line.startswith(f"建议 id={pid}（{numbers[1]}）")]
    assert any("第 1 号回执" in line and f"有 {len(ids)} 个事件，现在只有 {len(ids) - 1} 个" in line
               and "被删除" in line for line in named), output
    assert "事件链末尾" not in output  # the head was moved back: the chain left verifies
    assert any("数据表" in line and "事件记录为“pending”" in line for line in named), named  # the co-unit signed


async def test_audit_names_a_rating_flipped_in_the_evaluations_table(settings, db, numbers):
    """(c) The statistics read `evaluations`: a rating changed there differs from the event that gave it."""
    target = (await rows(db, "SELECT v.id FROM evaluations v JOIN proposals p ON p.id = v.proposal_id "
                             "WHERE p.number = :n AND v.kind = 'reply'", n=numbers[0]))[0][0]
    await execute(db, ("UPDATE evaluations SET rating = 'unsatisfied' WHERE id = :id", {"id": target}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == 1 and "数据表" in lines[0] and f"评价 #{target}（答复评价）" in lines[0]
    assert "“不满意”" in lines[0] and "事件记录为“满意”" in lines[0] and "被改动" in lines[0]


async def test_audit_names_a_reply_text_rewritten_in_the_replies_table(settings, db, numbers):
    """(c) `/replies` shows `replies.text`: a rewritten text differs from the reply event."""
    target = (await rows(db, "SELECT r.id FROM replies r JOIN proposals p ON p.id = r.proposal_id "
                             "WHERE p.number = :n", n=numbers[0]))[0][0]
    await execute(db, ("UPDATE replies SET text = :t, published = :yes WHERE id = :id",
                       {"t": "已全部解决。", "yes": True, "id": target}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert any(f"答复 #{target} 的“内容”是“已全部解决。”" in line for line in lines), lines
    assert any(f"答复 #{target} 的“公开”是“是”" in line for line in lines), lines


async def test_audit_names_a_proposal_deleted_whole(settings, db, numbers):
    """(d) Its rows and events gone: the anchor still lists it, and its number is missing."""
    assert (await run_audit(settings))[0] == 0
    pid = await proposal_id(db, numbers[0])
    await delete_proposal(db, numbers[0])
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert any(line.startswith(f"建议 id={pid}（{numbers[0]}）") and "整件建议被删除" in line for line in lines)
    assert any(line.startswith("数据库：") and numbers[0] in line for line in lines), lines


async def test_audit_names_assignment_and_proposal_fields_changed_in_their_tables(settings, db, numbers):
    await execute(db, ("UPDATE assignments SET state = 'replied' WHERE proposal_id = :p AND role = 'co'",
                       {"p": await proposal_id(db, numbers[1])}),
                  ("UPDATE proposals SET key_supervision = :yes, state = 'closed' WHERE number = :n",
                   {"yes": True, "n": numbers[1]}))
    code, output = await run_audit(settings)
    assert code == 1, output
    text = "\n".join(problem_lines(output))
    assert "的“状态”是“replied”，事件记录为“signed”" in text
    assert "建议的“状态”是“closed”，事件记录为“handling”" in text and "建议的“重点督办”是“是”" in text
