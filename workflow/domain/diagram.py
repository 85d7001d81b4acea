"""The workflow diagram as Mermaid, generated from the transition tables (never drawn by hand)."""
from __future__ import annotations

from workflow.domain.definition import (
    ACTIONS,
    ASSIGNMENT_STATES,
    ASSIGNMENT_TRANSITIONS,
    FINAL_STATES,
    PROPOSAL_TRANSITIONS,
    STATES,
)


def _edges(transitions: list[dict]) -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for row in transitions:
        if row["dest"] is None:
            continue
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for source in sources:
            if source == row["dest"]:
                continue
            labels = edges.setdefault((source, row["dest"]), [])
            label = ACTIONS[row["trigger"]].label if row["trigger"] in ACTIONS else row["trigger"]
            if label not in labels:
                labels.append(label)
    return edges


def mermaid_proposal() -> str:
    lines = ["stateDiagram-v2", "    direction TB"]
    lines += [f"    {state}: {state} {label}" for state, label in STATES.items()]
    lines.append("    [*] --> draft")
    for (source, dest), labels in _edges(PROPOSAL_TRANSITIONS).items():
        if dest == "closed" and labels == ["办结"] and source not in ("implementing",):
            continue  # staff may close any open proposal: drawn once below, not from every state
        lines.append(f"    {source} --> {dest}: {' / '.join(labels)}")
    lines.append("    note left of closed: 工作人员可在任何未结状态“办结”（须写明理由）")
    # In STATES order: a frozenset's order changes with the hash seed, and docs/workflow.md must not.
    lines += [f"    {state} --> [*]" for state in STATES if state in FINAL_STATES]
    return "\n".join(lines)


def mermaid_assignment() -> str:
    lines = ["stateDiagram-v2"]
    lines += [f"    {state}: {state} {label}" for state, label in ASSIGNMENT_STATES.items()]
    lines.append("    [*] --> pending")
    for (source, dest), labels in _edges(ASSIGNMENT_TRANSITIONS).items():
        lines.append(f"    {source} --> {dest}: {' / '.join(labels)}")
    return "\n".join(lines)


def _record_machine(states: dict, transitions: list, actions: dict, finals, first: str) -> str:
    """A record's machine (群众意见, 民生实事项目), drawn the same way."""
    lines = ["stateDiagram-v2"]
    lines += [f"    {state}: {state} {label}" for state, label in states.items()]
    lines.append(f"    [*] --> {first}")
    for row in transitions:
        if row["dest"] is None:
            continue
        for source in row["source"] if isinstance(row["source"], list) else [row["source"]]:
            lines.append(f"    {source} --> {row['dest']}: {actions[row['trigger']].label}")
    lines += [f"    {state} --> [*]" for state in states if state in finals]
    return "\n".join(lines)


def mermaid_opinion() -> str:
    from workflow.domain.opinions import OPINION_ACTIONS, OPINION_FINAL_STATES, OPINION_STATES, OPINION_TRANSITIONS

    return _record_machine(OPINION_STATES, OPINION_TRANSITIONS, OPINION_ACTIONS, OPINION_FINAL_STATES, "received")


def mermaid_project() -> str:
    from workflow.domain.projects import PROJECT_ACTIONS, PROJECT_FINAL_STATES, PROJECT_STATES, PROJECT_TRANSITIONS

    return _record_machine(PROJECT_STATES, PROJECT_TRANSITIONS, PROJECT_ACTIONS, PROJECT_FINAL_STATES, "solicited")


def _record_rows(actions: dict) -> list[str]:
    who = {"deputy": "代表", "staff": "工作人员", "unit": "承办单位", "system": "系统", "citizen": "群众"}
    rows = ["| 操作 action | 名称 | 谁来办 | 参数 |", "|---|---|---|---|"]
    for action in actions.values():
        params = "、".join(f"`{p.name}`{'' if p.required else '（可选）'}" for p in action.params) or "—"
        rows.append(f"| `{action.id}` | {action.label} | {'、'.join(who[a] for a in sorted(action.actors))} | {params} |")
    return rows


def markdown() -> str:
    """docs/workflow.md: both diagrams and the actions table."""
    rows = ["| 操作 action | 名称 | 谁来办 | 参数 |", "|---|---|---|---|"]
    who = {"deputy": "代表", "staff": "工作人员", "unit": "承办单位", "system": "系统"}
    for action in ACTIONS.values():
        params = "、".join(f"`{p.name}`{'' if p.required else '（可选）'}" for p in action.params) or "—"
        rows.append(f"| `{action.id}` | {action.label} | {'、'.join(who[a] for a in sorted(action.actors))} | {params} |")
    return "\n".join([
        "# 办理流程 / Workflow", "",
        "本页由 `python run.py workflow diagram` 根据 `workflow/domain/definition.py` 自动生成，请勿手工修改。",
        "Generated from workflow/domain/definition.py by `python run.py workflow diagram`; do not edit by hand.", "",
        "## 建议的状态 / Proposal states", "", "```mermaid", mermaid_proposal(), "```", "",
        "## 交办（每个承办单位一份）的状态 / Assignment states", "", "```mermaid", mermaid_assignment(), "```", "",
        "## 操作 / Actions", "", *rows, "",
        "## 群众意见的状态 / Citizens' opinions (workflow/domain/opinions.py)", "",
        "```mermaid", mermaid_opinion(), "```", "", *_record_rows(_opinion_actions()), "",
        "## 民生实事项目的状态 / Livelihood projects (workflow/domain/projects.py)", "",
        "```mermaid", mermaid_project(), "```", "", *_record_rows(_project_actions()), "",
    ])


def _opinion_actions() -> dict:
    from workflow.domain.opinions import OPINION_ACTIONS

    return OPINION_ACTIONS


def _project_actions() -> dict:
    from workflow.domain.projects import PROJECT_ACTIONS

    return PROJECT_ACTIONS
