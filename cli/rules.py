"""`rules show`: the rules in force, one line each, with where each value came from."""
from __future__ import annotations

import dataclasses

from workflow.settings import _SECTION_TYPES, Period, TracedSettings, trace_settings

# Sections whose every setting is a domain rule (as tests/unit/test_rules_doc.py counts them), and the single
# rules kept in technical sections.
RULE_SECTIONS = ("deadlines", "workflow", "evaluation", "calendar")
SINGLE_RULES = ("server.timezone", "dashboard.min_proposals")

LABELS = {
    "deadlines.sign": "承办单位签收期限",
    "deadlines.adjustment": "申请调整（改派）的期限",
    "deadlines.opinion": "协办单位提出书面意见的期限",
    "deadlines.reply": "答复期限（自交办之日起）",
    "deadlines.reply_max": "延期答复的上限（自交办之日起）",
    "deadlines.rehandle": "不满意后重新办理、再次答复的期限",
    "deadlines.evaluation": "代表评价（征询意见表）的期限",
    "deadlines.reminder": "期限到来前提醒（黄牌）",
    "deadlines.adjustment_decision": "工作人员处理调整申请的期限",
    "deadlines.rest_day_shift": "期限最后一日逢休息日顺延",
    "deadlines.interim_assign": "闭会期间建议的受理交办期限",
    "workflow.categories": "建议类别",
    "workflow.rehandle_limit": "不满意后重新办理的次数上限",
    "workflow.reassign_fresh_period": "改派后重新计算答复期限",
    "workflow.withdraw_needs_co_signer_consent": "撤回联名建议须经联名代表同意",
    "evaluation.separate_attitude": "办理态度与办理结果分别评价",
    "calendar.rest_days": "补录的放假日",
    "calendar.work_days": "补录的调休上班日",
    "server.timezone": "时区（唯一的时钟）",
    "dashboard.min_proposals": "参与单位排名的最少主办件数",
}


def rule_settings() -> list[str]:
    """Every rule setting, in the order of the settings' sections."""
    names = [f"{section}.{f.name}" for section, cls in _SECTION_TYPES.items() if section in RULE_SECTIONS
             for f in dataclasses.fields(cls)]
    return names + list(SINGLE_RULES)


def shown(value) -> str:
    """A setting's value as staff read it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, (tuple, list)):
        return "、".join(str(v) for v in value) if value else "（无）"
    return str(value)


def lines(traced: TracedSettings) -> list[str]:
    """The report: the preset in force, then one line per rule: name, value, label, source."""
    preset = traced.preset
    head = (f"省级预设：{preset.name}（{preset.title}，来源：{traced.origin('rules.preset').label()}）。{preset.summary}"
            if preset else "省级预设：无（全国默认值）。")
    out = [head, "设置项\t值\t规则\t来源"]
    for name in rule_settings():
        section, key = name.split(".", 1)
        value = getattr(getattr(traced.settings, section), key)
        out.append(f"{name}\t{shown(value)}\t{LABELS.get(name, name)}\t{traced.origin(name).label()}")
    if preset:
        out.append("预设中标“未找到出处”的项保留全国默认值；各项的条文和原文见 docs/presets.md。")
    return out


def cmd_rules(args) -> int:
    """`rules show`: read the settings again, noting each value's origin, and print the rules in force."""
    for line in lines(trace_settings()):
        print(line)
    return 0
