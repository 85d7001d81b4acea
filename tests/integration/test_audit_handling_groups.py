"""`python run.py audit verify` checks 并案办理 against each proposal's own events: a group combined (and
assigned) through the engine, or a member taken out, verifies; a member's `group_id` cleared, or a
proposal put into a group, in raw SQL (no combine event on its chain) is named, by the group's lead."""
from __future__ import annotations

import pytest

from tests.support.audit import execute, problem_lines, proposal_id, rows, run_audit


@pytest.fixture
async def group(api) -> list[str]:
    """Three accepted proposals combined under the first (the lead), and one more accepted, alone."""
    numbers = [await api.take_to("accepted", title=title) for title in (
        "关于维修城关中学校舍的建议", "关于城关中学教学楼改造的建议", "关于尽快修缮城关中学危房的建议",
        "关于修建城关镇公厕的建议")]
    await api.ok(numbers[0], "combine", members=numbers[1:3])
    return numbers


async def _group_id(db, number: str) -> int:
    return (await rows(db, "SELECT group_id FROM proposals WHERE number = :n", n=number))[0][0]


def _lines_of(output: str, pid: int) -> list[str]:
    return [line for line in problem_lines(output) if line.startswith(f"建议 id={pid}（")]


async def test_audit_passes_on_a_group_of_three_combined_and_assigned_with_its_lead(settings, api, group):
    code, output = await run_audit(settings)
    assert code == 0, output
    await api.ok(group[0], "assign", lead_units=["JYJ"], co_units=["JTJ"])
    code, output = await run_audit(settings)
    assert code == 0 and "数据表与事件一致" in output, output


async def test_audit_names_a_member_whose_group_id_was_cleared_in_the_table(settings, db, group):
    await execute(db, ("UPDATE proposals SET group_id = NULL WHERE number = :n", {"n": group[2]}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == 1 and lines[0].startswith(f"建议 id={await proposal_id(db, group[2])}（{group[2]}） 数据表：")
    assert "“并案办理”是“单独办理（不在并案中）”" in lines[0]
    assert f"事件记录为“在建议 {group[0]} 牵头的并案中”" in lines[0] and "建议记录被改动" in lines[0]


async def test_audit_names_a_proposal_put_into_a_group_without_a_combine_event(settings, db, group):
    await execute(db, ("UPDATE proposals SET group_id = :g WHERE number = :n",
                       {"g": await _group_id(db, group[0]), "n": group[3]}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == 1 and lines == _lines_of(output, await proposal_id(db, group[3]))
    assert f"“并案办理”是“在建议 {group[0]} 牵头的并案中”" in lines[0]
    assert "事件记录为“单独办理（不在并案中）”" in lines[0] and "建议记录被改动" in lines[0]


async def test_audit_names_every_member_when_the_group_row_is_given_another_lead(settings, db, group):
    """The members' `group_id` is untouched; the handling_groups row now says another proposal leads."""
    await execute(db, ("UPDATE handling_groups SET lead_proposal_id = :p WHERE id = :g",
                       {"p": await proposal_id(db, group[3]), "g": await _group_id(db, group[0])}))
    code, output = await run_audit(settings)
    assert code == 1, output
    lines = problem_lines(output)
    assert len(lines) == 3, lines
    assert all(f"是“在建议 {group[3]} 牵头的并案中”，事件记录为“在建议 {group[0]} 牵头的并案中”" in line
               and "并案记录（handling_groups）被改动" in line for line in lines), lines


async def test_audit_passes_after_members_are_taken_out_down_to_the_lead_alone(settings, db, api, group):
    await api.ok(group[0], "uncombine", member=group[1])
    code, output = await run_audit(settings)
    assert code == 0, output
    await api.ok(group[0], "uncombine", member=group[2])  # the last one out: the lead is handled alone again
    assert await _group_id(db, group[0]) is None
    await api.ok(group[3], "combine", members=[group[1]])  # taken out, it may join another group
    code, output = await run_audit(settings)
    assert code == 0, output
