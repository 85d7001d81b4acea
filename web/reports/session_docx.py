"""The draft of a session's 办理情况报告 as a .docx, for staff to edit and publish.

Every figure printed is one of workflow.readmodels.session_report's facts (the tallies GET /api/v1/stats
returns, named as RATE_LABELS names them); what only people can say (the problems, the next steps) is
left as 【请补充】 for staff to write. `document` is plain CPU work: the web runs it in a worker thread.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Optional

from web.reports.docx_style import PLACEHOLDER, body, centered, heading, new_document, table, title
from workflow.domain.definition import REPLY_CATEGORIES
from workflow.domain.tallies import RATE_LABELS as L
from workflow.readmodels.session_report import Part, SessionReport

NONE = "—"  # a rate with nothing to count


def percent(value: Optional[float]) -> str:
    """A rate (a fraction 0..1) as the report prints it: 85.7%, or — when nothing is counted."""
    return NONE if value is None else f"{value * 100:.1f}%"


def spoken(value: Optional[float]) -> str:
    """A rate inside a sentence: 85.7%, or 暂无 when nothing is counted."""
    return "暂无" if value is None else percent(value)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def span(report: SessionReport) -> str:
    """2026年1月10日至13日 (the same month), or 2026年12月28日至2027年1月2日."""
    start, end = report.opens_on, report.closes_on
    if start.year != end.year:
        return f"{chinese_date(start)}至{chinese_date(end)}"
    if start.month != end.month:
        return f"{chinese_date(start)}至{end.month}月{end.day}日"
    return f"{chinese_date(start)}至{end.day}日"


def filename(report: SessionReport) -> str:
    return f"{report.short_name}代表建议办理情况的报告（草稿）.docx"


def document(report: SessionReport) -> bytes:
    """The whole draft, as the bytes of a .docx file."""
    doc = new_document(report.title, f"{report.committee}{report.staff_body}")
    title(doc, report.title)
    centered(doc, "（草稿）")
    centered(doc, f"{report.committee}{report.staff_body}")
    centered(doc, f"（统计截至{chinese_date(report.today)}）")
    body(doc, f"{report.name}于{span(report)}召开。现将本次会议以来代表建议办理情况报告如下：")
    _basics(doc, report)
    _handling(doc, report)
    _problems(doc, report)
    heading(doc, "四、下一步工作")
    body(doc, f"{PLACEHOLDER}（下一步的督办重点、对承办单位的要求等）")
    _definitions(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ 一、基本情况
def _basics(doc, report: SessionReport) -> None:
    parts, overall = report.parts, report.overall
    heading(doc, "一、基本情况")
    session, interim, motion, every = parts["session"], parts["interim"], parts["motion"], parts["all"]
    body(doc, f"本次会议期间，代表共提出{session.label}{session.received}件；"
              f"闭会以来，代表提出{interim.label}{interim.received}件；合计{every.received}件，"
              f"其中{motion.label}{motion.received}件。"
              f"经审查，不作为代表建议处理{every.referred}件，代表撤回{every.withdrawn}件，"
              f"尚在审查或待交办{every.waiting}件；已交办{overall.assigned}件，"
              f"由{len(report.ranked) + len(report.below_minimum)}个承办单位主办。")
    table(doc, ["类别", "收到", "不作为代表建议", "撤回", "待交办", "已交办", "已答复", L["reply_rate"]],
          [_part_row(parts[key]) for key in ("session", "interim", "all", "motion")])
    if motion.received:
        m = motion.stats
        body(doc, f"代表联名提出、大会主席团决定作为建议处理的议案（{motion.label}）{motion.received}件，单独统计："
                  f"已交办{m.assigned}件，已答复{m.replied}件，{L['reply_rate']}{spoken(m.reply_rate)}，"
                  f"{L['reply_satisfaction_rate']}{spoken(m.reply_satisfaction_rate)}。")
    else:
        body(doc, f"本次会议没有作为建议处理的议案（{motion.label}0件）。")
    if report.categories:
        body(doc, "已交办建议按内容分类如下：")
        table(doc, ["类别", "已交办", "已答复", L["reply_rate"], L["reply_satisfaction_rate"], L["solved_rate"]],
              [(name, s.assigned, s.replied, percent(s.reply_rate), percent(s.reply_satisfaction_rate),
                percent(s.solved_rate)) for name, s in report.categories])


def _part_row(part: Part) -> tuple:
    label = f"其中：{part.label}" if part.key == "motion" else ("合计" if part.key == "all" else part.label)
    s = part.stats
    return (label, part.received, part.referred, part.withdrawn, part.waiting, s.assigned, s.replied,
            percent(s.reply_rate))


# ------------------------------------------------------------------ 二、办理情况
def _handling(doc, report: SessionReport) -> None:
    s = report.overall
    heading(doc, "二、办理情况")
    heading(doc, "（一）总体情况", 2)
    body(doc, f"截至{chinese_date(report.today)}，已交办的{s.assigned}件建议中，已答复{s.replied}件，"
              f"{L['reply_rate']}{spoken(s.reply_rate)}；按期答复{s.replied_on_time}件，"
              f"{L['on_time_reply_rate']}{spoken(s.on_time_reply_rate)}。"
              f"已解决或正在解决（A、B类）{s.solved}件，{L['solved_rate']}{spoken(s.solved_rate)}。"
              f"代表已评价答复{s.reply_evaluated}件，其中满意或基本满意{s.reply_satisfied}件，"
              f"{L['reply_satisfaction_rate']}{spoken(s.reply_satisfaction_rate)}；已评价落实{s.implementation_evaluated}件，"
              f"{L['implementation_satisfaction_rate']}{spoken(s.implementation_satisfaction_rate)}。")
    table(doc, ["指标", "数值", "计算"],
          [(rate.label, percent(rate.value), f"{rate.part} / {rate.whole}") for rate in report.rates])
    if any(report.reply_categories.values()):
        body(doc, "按各主办单位最新一次答复（含再次答复）的类别：" + "，".join(
            f"{c}类（{REPLY_CATEGORIES[c]}）{n}件" for c, n in report.reply_categories.items()) + "。")
    heading(doc, "（二）重点督办建议", 2)
    _key_proposals(doc, report)
    heading(doc, "（三）承办单位办理情况", 2)
    if report.ranked:
        body(doc, f"主办建议{report.min_proposals}件以上的承办单位按{report.ranking_label}排名如下"
                  f"（不足{report.min_proposals}件的单位不参加排名，见第三部分）：")
        table(doc, ["名次", "承办单位", "主办件数", L["reply_rate"], L["reply_satisfaction_rate"],
                      L["implementation_satisfaction_rate"], report.ranking_label],
              [(line.rank, line.name, line.stats.assigned, percent(line.stats.reply_rate),
                percent(line.stats.reply_satisfaction_rate), percent(line.stats.implementation_satisfaction_rate),
                percent(getattr(line.stats, report.ranking))) for line in report.ranked])
    else:
        body(doc, f"没有主办建议达到{report.min_proposals}件的承办单位，本次不排名。")
    body(doc, f"{PLACEHOLDER}（承办单位办理工作中的好做法、典型事例）")


def _key_proposals(doc, report: SessionReport) -> None:
    found = report.key_proposals
    if not found:
        body(doc, f"本次会议的建议中尚未确定重点督办建议。{PLACEHOLDER}（如另有重点督办安排，请补充）")
        return
    leaders = sorted({k.leader for k in found if k.leader})
    body(doc, f"确定重点督办建议{len(found)}件，由{'、'.join(leaders) or PLACEHOLDER}等领导领办，办理情况如下：")
    table(doc, ["序号", "建议", "标题", "领办领导", "督办", "主办单位", "办理状态"],
          [(n, k.official_number or k.reference, k.title, k.leader or PLACEHOLDER, k.committee, k.units, k.state)
           for n, k in enumerate(found, 1)])
    body(doc, f"{PLACEHOLDER}（领办领导督办、集中评议的情况和成效）")


# ------------------------------------------------------------------ 三、存在的问题
def _problems(doc, report: SessionReport) -> None:
    s = report.overall
    heading(doc, "三、存在的问题")
    late = report.overdue_units
    if late:
        body(doc, f"截至{chinese_date(report.today)}，仍有{s.overdue}件（按主办交办计）逾期未答复，涉及："
                  + "、".join(f"{line.name}（{line.stats.overdue}件）" for line in late) + "。")
    else:
        body(doc, f"截至{chinese_date(report.today)}，没有逾期未答复的建议。")
    if s.reply_no_feedback or s.implementation_no_feedback:
        body(doc, f"评价期限届满代表仍未评价的：答复未反馈{s.reply_no_feedback}件，落实未反馈{s.implementation_no_feedback}件"
                  "（不计入满意率）。")
    if report.below_minimum:
        body(doc, f"主办建议不足{report.min_proposals}件、未参加排名的承办单位："
                  + "、".join(f"{line.name}（{line.stats.assigned}件）" for line in report.below_minimum) + "。")
    body(doc, f"{PLACEHOLDER}（办理中存在的主要问题，如答复质量、落实进度、与代表沟通等）")


# ------------------------------------------------------------------ 附：统计口径说明
def _definitions(doc, report: SessionReport) -> None:
    heading(doc, "附：统计口径说明")
    body(doc, f"本报告的数据取自代表建议办理系统，统计截至{chinese_date(report.today)}，范围为{report.name}的"
              "大会建议和闭会期间建议（含议案转建议）。")
    for label, text in report.definitions:
        body(doc, text if text.startswith(label) else f"{label}：{text}")
