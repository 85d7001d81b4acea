"""The system log as staff read it: administrative actions, newest first, for everyone or for one
deputy or unit (its binding history). Read only; the writer is workflow/engine/chain.py."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SystemEvent
from workflow.domain import clock as beijing

ACTION_LABELS = {
    "issue_binding_code": "发放绑定码",
    "bind_wechat": "绑定微信",
    "rebind_wechat": "改绑微信（换了微信号）",
    "unbind_wechat": "解除微信绑定",
    "bind_unit_liaison": "单位联络员绑定微信",
    "import_roster": "导入名册",
    "seal_legacy": "用审计密钥封存升级前的事件链",
    "set_holidays": "录入节假日安排",
    "add_unit_head": "登记单位负责人",
    "update_unit_head": "更改单位负责人",
    "add_station": "登记联络站", "add_point": "添加联系点", "update_station": "修改联络站",
    "set_station_deputies": "设置进站代表", "add_duty_days": "排值班", "remove_duty_day": "删除值班",
    "record_reception": "记录接待日", "add_session": "登记届次会议", "update_session": "更正届次会议", "update_deputy_card": "修改代表名片",
    "add_project_window": "开放民生实事征集期",
}
SUBJECT_LABELS = {"project_window": "民生实事征集期", "station": "联络站", "deputy": "代表", "unit": "承办单位", "roster": "名册", "chain": "事件日志", "calendar": "节假日年份"}
ACTOR_LABELS = {"staff": "工作人员", "deputy": "代表", "unit": "承办单位", "cli": "命令行", "system": "系统"}
ROSTER_LABELS = {"deputies": "代表名册", "units": "承办单位名册"}
DETAIL_LABELS = {
    "name": "姓名/名称", "code_id": "绑定码编号", "code_issued_by": "发码人", "expires_at": "有效期至",
    "already_bound": "发码时已绑定（用于改绑）", "openid": "微信号（部分）", "openid_ref": "微信指纹",
    "previous_openid": "原微信号（部分）", "previous_openid_ref": "原微信指纹", "kind": "名册",
    "filename": "文件", "sha256": "文件 SHA-256", "rows": "行数", "created": "新增", "updated": "更新",
    "unchanged": "未变", "proposals": "建议数", "events": "事件数", "legacy_max_event_id": "最后一个旧事件编号",
    "old_heads_sha256": "旧链尾摘要", "problems_found": "封存前发现的问题",
    "year": "年份", "rest_days": "放假天数", "work_days": "调休上班天数",
    "title": "职务", "active": "在任",
    "station_kind": "类型", "in_use": "使用中", "deputies": "代表", "items": "条数", "day": "日期", "people": "接待人数",
    "reception": "接待日编号",
}
PAGE = 100


def _shown(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "kind":
        return ROSTER_LABELS.get(value, str(value))
    if key == "expires_at" and isinstance(value, str):
        try:
            return beijing.shown(dt.datetime.fromisoformat(value))  # stored UTC, shown in Beijing time
        except ValueError:
            return value.replace("T", " ")[:16]
    return str(value)


def line_of(event: SystemEvent) -> dict:
    """One entry: when, what, who, on whom, with which details (only those with a label)."""
    details = [(label, _shown(key, event.payload[key])) for key, label in DETAIL_LABELS.items()
               if key in (event.payload or {}) and event.payload[key] not in (None, "", [])]
    return {"seq": event.seq, "at": event.created_at, "action": event.action,
            "label": ACTION_LABELS.get(event.action, event.action),
            "who": event.actor_name or event.actor_id, "who_kind": ACTOR_LABELS.get(event.actor_kind, event.actor_kind),
            "subject": f"{SUBJECT_LABELS.get(event.subject_kind, event.subject_kind)} {event.subject_id}".strip(),
            "subject_kind": event.subject_kind, "subject_id": event.subject_id, "details": details,
            "problems": (event.payload or {}).get("problems", [])}


async def system_events(session: AsyncSession, subject_kind: Optional[str] = None, subject_id: Optional[str] = None,
                        before: Optional[int] = None, limit: int = PAGE) -> list[dict]:
    """Newest first; `before` a seq to page back from."""
    query = select(SystemEvent).order_by(SystemEvent.seq.desc()).limit(limit)
    if subject_kind:
        query = query.where(SystemEvent.subject_kind == subject_kind, SystemEvent.subject_id == (subject_id or ""))
    if before:
        query = query.where(SystemEvent.seq < before)
    return [line_of(e) for e in (await session.execute(query)).scalars()]
