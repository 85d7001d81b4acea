"""Roster import (导入名册): deputies or units from a .csv or .xlsx file, all rows or none.

    report = await import_file(db, "deputies", Path("代表名册.xlsx"))
    print(report.text()); sys.exit(0 if report.ok else 1)

The file is read whole and every row checked before anything is written; one wrong row and nothing
is written, and the report names each wrong row by its number in the file. A row whose key (代表证号
or 单位代码) is already on the roster updates that record; empty cells never blank what is there.
`preview_file` / `preview_bytes` do the same checks and count what would change, without writing.
An import that writes is a system event (`import_roster`): who, which file (its name and SHA-256),
how many rows, and how many records it created, updated and left unchanged.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Deputy, Unit
from storage.uow import Conflict, UnitOfWork
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event
from workflow.usecases.roster_files import HEADER_SEARCH_ROWS, FileProblem, read_bytes, read_table
from workflow.usecases.rosters import DEPUTY_FIELDS, UNIT_FIELDS, clean_record

SHOWN_ERRORS = 50
PARSE_SECONDS = 60

KINDS = {
    "deputies": dict(label="代表名册", model=Deputy, key="number", fields=DEPUTY_FIELDS, columns={
        "number": ["代表证号", "代表证编号", "代表编号", "证号", "编号", "number", "no"],
        "name": ["姓名", "代表姓名", "name"],
        "delegation": ["代表团/选区", "代表团", "选区", "所在代表团", "选举单位", "delegation", "district"],
        "phone": ["电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "phone", "mobile", "tel"],
        "work_unit": ["工作单位", "工作单位及职务", "单位及职务", "工作单位和职务", "work_unit", "employer"],
        "term": ["届次", "届别", "term"],
    }),
    "units": dict(label="承办单位名册", model=Unit, key="code", fields=UNIT_FIELDS, columns={
        "code": ["单位代码", "单位编码", "代码", "编码", "code"],
        "name": ["单位名称", "单位", "名称", "name"],
        "contact_name": ["联系人", "联络员", "联系人姓名", "contact_name", "contact"],
        "contact_phone": ["联系电话", "联系人电话", "电话", "手机", "contact_phone", "phone"],
    }),
}
PHONE_FIELDS = {"phone", "contact_phone"}
_PHONE = re.compile(r"^[0-9+\-()（）\s/、,，;；转]*$")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")


@dataclass
class RowError:
    row: int  # the row's number in the file, as Excel shows it
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


@dataclass
class ImportReport:
    """What an import (or a preview) found and did."""

    kind: str
    filename: str
    records: list[dict[str, str]] = field(default_factory=list)  # cleaned rows, only the file's columns
    rows: list[int] = field(default_factory=list)  # each record's row number
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    problem: str = ""  # the file as a whole is unusable
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem and not self.errors

    def text(self) -> str:
        label = KINDS[self.kind]["label"] if self.kind in KINDS else "名册"
        if self.problem:
            return f"导入{label}失败（文件 {self.filename}）：{self.problem}\n没有写入任何数据。"
        if self.errors:
            lines = [f"导入{label}失败：文件 {self.filename} 中有 {len(self.errors)} 处问题，"
                     f"没有写入任何数据。请改正后重新导入。"]
            lines += [str(e) for e in self.errors[:SHOWN_ERRORS]]
            if len(self.errors) > SHOWN_ERRORS:
                lines.append(f"……另有 {len(self.errors) - SHOWN_ERRORS} 处问题未列出。")
            return "\n".join(lines)
        done = "已导入" if self.written else "预览（尚未写入）"
        verb = "" if self.written else "将"
        lines = [f"{done}{label}（文件 {self.filename}）：共 {len(self.records)} 行，"
                 f"{verb}新增 {self.created} 条，{verb}更新 {self.updated} 条，未变 {self.unchanged} 条。"]
        if self.ignored_columns:
            lines.append(f"已忽略不认识的列：{'、'.join(self.ignored_columns)}。")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- public API
IMPORTER = Actor("system", "import", "系统")


async def import_file(db: Database, kind: str, path: Path, dry_run: bool = False,
                      actor: Actor = IMPORTER) -> ImportReport:
    """Import the roster file at `path` into `db`: every row, or (with any problem) none."""
    path = Path(path)
    try:
        data = read_bytes(path)
    except FileProblem as exc:
        return ImportReport(kind, path.name, problem=str(exc))
    return await import_bytes(db, kind, data, path.name, dry_run=dry_run, actor=actor)


async def import_bytes(db: Database, kind: str, data: bytes, filename: str, dry_run: bool = False,
                       actor: Actor = IMPORTER) -> ImportReport:
    """The same, for a file's content (e.g. an upload in the console), imported by `actor`. The file is
    read in a worker thread, bounded in rows, columns and time, so the server keeps answering."""
    report = await parse_roster_aside(kind, data, filename)
    if not report.ok:
        return report
    try:
        await _apply(db, report, write=not dry_run, actor=actor, sha256=hashlib.sha256(data).hexdigest())
    except Conflict:
        report.problem = "导入时名册正被别人同时修改，请稍后重新导入。"
        report.created = report.updated = report.unchanged = 0
    return report


async def preview_file(db: Database, kind: str, path: Path) -> ImportReport:
    """Check the file and count what an import would create and update; writes nothing."""
    return await import_file(db, kind, path, dry_run=True)


async def preview_bytes(db: Database, kind: str, data: bytes, filename: str) -> ImportReport:
    return await import_bytes(db, kind, data, filename, dry_run=True)


async def parse_roster_aside(kind: str, data: bytes, filename: str) -> ImportReport:
    """`parse_roster` in a worker thread, given at most PARSE_SECONDS."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(parse_roster, kind, data, filename), PARSE_SECONDS)
    except asyncio.TimeoutError:
        return ImportReport(kind, filename, problem=f"文件太复杂，{PARSE_SECONDS} 秒内没能读完。"
                                                    "请只保留名册所在的工作表和列，另存为 .xlsx 或 CSV 再导入。")


def parse_roster(kind: str, data: bytes, filename: str) -> ImportReport:
    """Read and check every row (no database): the records, or the problems with their row numbers."""
    report = ImportReport(kind, filename)
    if kind not in KINDS:
        report.problem = "只能导入代表名册（deputies）或承办单位名册（units）。"
        return report
    try:
        table = read_table(data, filename, is_header=_looks_like_header)
        header_row, columns, report.ignored_columns = _find_header(kind, table)
    except FileProblem as exc:
        report.problem = str(exc)
        return report
    _check_rows(kind, table, header_row, columns, report)
    return report


# ---------------------------------------------------------------------------- reading the file


# ---------------------------------------------------------------------------- the header
def _norm(text: str) -> str:
    text = re.sub(r"[（(][^)）]*[)）]", "", str(text)).lower()
    return re.sub(r"[\s*＊:：_\-]", "", text)


_ALIASES = {kind: {_norm(alias): name for name, aliases in spec["columns"].items() for alias in aliases}
            for kind, spec in KINDS.items()}
_ANY_ALIAS = {alias for aliases in _ALIASES.values() for alias in aliases}


def _looks_like_header(cells: list[str]) -> bool:
    return sum(1 for c in cells if _norm(c) in _ANY_ALIAS) >= 2


def _find_header(kind: str, table: list[tuple[int, list[str]]]) -> tuple[int, dict[int, str], list[str]]:
    """The header's row number, {column index: field}, and the columns not understood."""
    if not table:
        raise FileProblem("文件里没有任何内容。")
    spec, aliases = KINDS[kind], _ALIASES[kind]
    required = [name for name, (_, _, req) in spec["fields"].items() if req]
    best = None
    for number, cells in table[:HEADER_SEARCH_ROWS]:
        columns = {i: aliases[_norm(c)] for i, c in enumerate(cells) if _norm(c) in aliases}
        if all(name in columns.values() for name in required):
            _check_duplicate_columns(cells, columns)
            ignored = [c for i, c in enumerate(cells) if c and i not in columns]
            return number, columns, ignored
        if columns and (best is None or len(columns) > len(best[1])):
            best = (number, columns)
    if best is not None:
        missing = [n for n in required if n not in best[1].values()]
        names = "；".join(f"“{spec['fields'][n][0]}”（或 {spec['columns'][n][-1]}）" for n in missing)
        raise FileProblem(f"第 {best[0]} 行的表头缺少必填的列：{names}。")
    expected = "、".join(f"{label}" for label, _, _ in spec["fields"].values())
    english = ", ".join(spec["fields"])
    raise FileProblem(f"找不到表头。第一行应是列名：{expected}（也可用英文 {english}）。")


def _check_duplicate_columns(cells: list[str], columns: dict[int, str]) -> None:
    seen: dict[str, int] = {}
    for index, name in columns.items():
        if name in seen:
            raise FileProblem(f"表头中“{cells[seen[name]]}”和“{cells[index]}”是同一项，请只保留一列。")
        seen[name] = index


# ---------------------------------------------------------------------------- the rows
def _check_rows(kind: str, table, header_row: int, columns: dict[int, str], report: ImportReport) -> None:
    spec = KINDS[kind]
    key, key_label = spec["key"], spec["fields"][spec["key"]][0]
    first_seen: dict[str, int] = {}
    for number, cells in table:
        if number <= header_row:
            continue
        raw = {name: (cells[i] if i < len(cells) else "") for i, name in columns.items()}
        if not any(raw.values()):
            continue  # cells only outside the roster's columns (a note, a total)
        record, problems = _clean_row(spec["fields"], raw)
        value = raw.get(key, "").strip()
        if value and value in first_seen:
            problems.append(f"{key_label} {value} 与第 {first_seen[value]} 行重复。")
        elif value:
            first_seen[value] = number
        if problems:
            report.errors.extend(RowError(number, p) for p in problems)
        else:
            report.records.append(record)
            report.rows.append(number)
    if not report.records and not report.errors:
        report.problem = "表头下面没有数据行。"


def _clean_row(fields: dict, raw: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The row's values (only the file's columns: the header has every required one), and its problems."""
    record, problems = {}, []
    for name in raw:
        value = raw[name].translate(_FULL_WIDTH) if name in PHONE_FIELDS else raw[name]
        try:
            record.update(clean_record({name: fields[name]}, {name: value}))
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        if name in PHONE_FIELDS and not _phone_ok(record[name]):
            problems.append(f"“{fields[name][0]}”格式不对（只能填数字，可带 - 和空格）：{raw[name]}")
    return record, problems


def _phone_ok(value: str) -> bool:
    return not value or (bool(_PHONE.match(value)) and sum(c.isdigit() for c in value) >= 5)


# ---------------------------------------------------------------------------- writing
async def _apply(db: Database, report: ImportReport, write: bool, actor: Actor, sha256: str) -> None:
    """Create or update every record in one transaction (or, for a preview, only count)."""
    if write:
        async with UnitOfWork(db) as session:
            await _stage(session, report, write=True)
            await append_system_event(session, "import_roster", actor, "roster", report.kind, {
                "kind": report.kind, "filename": report.filename, "sha256": sha256, "rows": len(report.records),
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged})
    else:
        async with db.read() as session:
            await _stage(session, report, write=False)
    report.written = write


async def _stage(session: AsyncSession, report: ImportReport, write: bool) -> None:
    spec = KINDS[report.kind]
    model, key = spec["model"], spec["key"]
    existing = await _existing(session, model, key, [r[key] for r in report.records])
    for record in report.records:
        row = existing.get(record[key])
        if row is None:
            report.created += 1
            if write:
                session.add(model(**{name: record.get(name, "") for name in spec["fields"]}))
            continue
        changes = {k: v for k, v in record.items() if v and getattr(row, k) != v}
        if not changes:
            report.unchanged += 1
            continue
        report.updated += 1
        if write:
            for name, value in changes.items():
                setattr(row, name, value)
    if write:
        await session.flush()


async def _existing(session: AsyncSession, model, key: str, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    column = getattr(model, key)
    for chunk in _chunks(keys, 500):
        rows = (await session.execute(select(model).where(column.in_(chunk)))).scalars()
        found.update({getattr(r, key): r for r in rows})
    return found


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def expected_columns(kind: str) -> Optional[dict[str, list[str]]]:
    """The column names understood for `kind` (for help texts and templates)."""
    return KINDS[kind]["columns"] if kind in KINDS else None
