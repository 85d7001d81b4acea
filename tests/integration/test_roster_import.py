"""Roster import: .csv in the encodings Excel writes and .xlsx, each wrong row named, all rows or none,
existing keys updated, broken files answered in Chinese (and by `python run.py import` with exit 1)."""
from __future__ import annotations

import asyncio
import io
import os
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.models import Deputy, Unit
from workflow.usecases.roster_files import MAX_COLUMNS, read_table
from workflow.usecases.roster_import import import_bytes, import_file, preview_file
from workflow.usecases.rosters import add_deputy, add_unit

ROOT = Path(__file__).resolve().parents[2]

DEPUTIES_CSV = (
    "代表证号,姓名,代表团/选区,手机,届次,备注\n"
    "18001,王建平,金溪镇代表团,13973460001,第十八届,\n"
    "18002,李秀英,石桥镇代表团,139 7346 0002,第十八届,连任\n"
    "18003,张国华,枫林镇代表团,0734-6821101,第十八届,\n"
)


async def _deputies(db) -> dict[str, Deputy]:
    async with db.read() as session:
        return {d.number: d for d in (await session.execute(select(Deputy))).scalars()}


def _xlsx(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
async def test_csv_in_every_encoding_excel_writes_imports_every_row(db, tmp_path, encoding):
    path = tmp_path / "代表名册.csv"
    path.write_bytes(DEPUTIES_CSV.replace("\n", "\r\n").encode(encoding))

    report = await import_file(db, "deputies", path)

    assert report.ok, report.text()
    assert (report.created, report.updated) == (3, 0)
    deputies = await _deputies(db)
    assert deputies["18002"].name == "李秀英"
    assert deputies["18002"].delegation == "石桥镇代表团"
    assert deputies["18003"].phone == "0734-6821101"
    assert "新增 3 条" in report.text() and "备注" in report.text()


async def test_xlsx_with_title_row_english_headers_and_numeric_cells_imports(db, tmp_path):
    path = _xlsx(tmp_path / "roster.xlsx", [
        ["衡西县第十八届人民代表大会代表名册"],
        ["Number", "Name", "Delegation", "Phone", "Term"],
        [18001, "王建平", "金溪镇代表团", 13973460001, "第十八届"],
        [18002.0, "李秀英", None, None, None],
        [None, None, None, None, None],
    ])

    report = await import_file(db, "deputies", path)

    assert report.ok, report.text()
    assert report.created == 2
    deputies = await _deputies(db)
    assert deputies["18001"].phone == "13973460001"  # an Excel number, not "13973460001.0"
    assert deputies["18002"].name == "李秀英"


async def test_units_import_with_chinese_headers(db, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("单位代码,单位名称,联系人,联系电话\njyj,县教育局,欧阳琳,0734-6821101\n"
                    "gdgs,国网衡西县供电公司,,\n", encoding="utf-8")

    report = await import_file(db, "units", path)

    assert report.ok, report.text()
    async with db.read() as session:
        units = {u.code: u for u in (await session.execute(select(Unit))).scalars()}
    assert units["jyj"].contact_name == "欧阳琳"
    assert units["gdgs"].name == "国网衡西县供电公司"


async def test_any_wrong_row_is_named_with_its_problem_and_nothing_is_written(db, tmp_path):
    await add_deputy(db, {"number": "18009", "name": "旧名字", "phone": "13900000000"})
    path = tmp_path / "bad.csv"
    path.write_text(
        "代表证号,姓名,代表团,电话\n"
        "18009,新名字,金溪镇代表团,13973460009\n"    # row 2: good (would update)
        "18010,,金溪镇代表团,13973460010\n"          # row 3: no name
        f"18011,{'长' * 65},金溪镇代表团,\n"          # row 4: name too long
        "18012,孙桂芳,石桥镇代表团,请打办公室\n"      # row 5: not a phone number
        "18009,王建平,石桥镇代表团,\n"               # row 6: same number as row 2
        "18013,朱晓燕,石桥镇代表团,13973460013\n",   # row 7: good (would be new)
        encoding="utf-8")

    report = await import_file(db, "deputies", path)

    assert not report.ok
    assert [(e.row, e.message) for e in report.errors] == [
        (3, "缺少“姓名”。"),
        (4, "“姓名”太长（最多 64 字）。"),
        (5, "“电话”格式不对（只能填数字，可带 - 和空格）：请打办公室"),
        (6, "代表证号 18009 与第 2 行重复。"),
    ]
    text = report.text()
    assert "没有写入任何数据" in text and "第 5 行" in text
    deputies = await _deputies(db)
    assert set(deputies) == {"18009"}
    assert deputies["18009"].name == "旧名字"


async def test_rows_with_existing_keys_update_records_and_empty_cells_keep_values(db, tmp_path):
    await add_deputy(db, {"number": "18001", "name": "王建平", "delegation": "金溪镇代表团", "phone": "13900000000"})
    await add_deputy(db, {"number": "18002", "name": "李秀英", "delegation": "石桥镇代表团"})
    path = tmp_path / "again.csv"
    path.write_text("代表证号,姓名,代表团,电话\n18001,王建平,,13973460001\n18002,李秀英,石桥镇代表团,\n"
                    "18003,张国华,枫林镇代表团,\n", encoding="utf-8")

    report = await import_file(db, "deputies", path)

    assert report.ok, report.text()
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert "新增 1 条，更新 1 条，未变 1 条" in report.text()
    deputies = await _deputies(db)
    assert deputies["18001"].phone == "13973460001"
    assert deputies["18001"].delegation == "金溪镇代表团"  # empty cell: kept
    assert len(deputies) == 3


async def test_existing_unit_is_updated_not_refused(db, tmp_path):
    await add_unit(db, {"code": "jyj", "name": "县教育局", "contact_name": "旧联系人"})
    path = _xlsx(tmp_path / "units.xlsx", [["code", "name", "contact_name", "contact_phone"],
                                           ["jyj", "县教育局", "欧阳琳", "0734-6821101"]])

    report = await import_file(db, "units", path)

    assert report.ok and report.updated == 1
    async with db.read() as session:
        unit = (await session.execute(select(Unit))).scalar_one()
    assert (unit.contact_name, unit.contact_phone) == ("欧阳琳", "0734-6821101")


async def test_preview_counts_what_would_change_and_writes_nothing(db, tmp_path):
    await add_deputy(db, {"number": "18001", "name": "旧名字"})
    path = tmp_path / "roster.csv"
    path.write_text(DEPUTIES_CSV, encoding="utf-8")

    report = await preview_file(db, "deputies", path)

    assert report.ok and not report.written
    assert (report.created, report.updated) == (2, 1)
    assert "尚未写入" in report.text()
    assert [r["number"] for r in report.records] == ["18001", "18002", "18003"]
    assert (await _deputies(db))["18001"].name == "旧名字"
    assert set(await _deputies(db)) == {"18001"}


def _truncated_xlsx(path: Path) -> bytes:
    data = _xlsx(path, [["代表证号", "姓名"], ["18001", "王建平"]]).read_bytes()
    return data[: len(data) // 2]


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是 Excel")
    return buffer.getvalue()


BROKEN = {
    "text_named_xlsx": ("roster.xlsx", lambda p: "代表证号,姓名\n18001,王建平\n".encode(), "不是有效的 Excel 文件"),
    "truncated_xlsx": ("roster.xlsx", _truncated_xlsx, "无法读取这个 Excel 文件"),
    "zip_but_not_xlsx": ("roster.xlsx", lambda p: _zip_without_workbook(), "无法读取这个 Excel 文件"),
    "old_xls": ("roster.xls", lambda p: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "旧版 Excel"),
    "empty": ("roster.csv", lambda p: b"", "文件是空的"),
    "blank_lines": ("roster.csv", lambda p: b"\r\n  \r\n", "文件是空的"),
    "header_only": ("roster.csv", lambda p: "代表证号,姓名,电话\n".encode(), "没有数据行"),
    "unknown_columns_only": ("roster.csv", lambda p: "甲,乙,丙\n1,2,3\n".encode(), "找不到表头"),
    "required_column_missing": ("roster.csv", lambda p: "姓名,电话\n王建平,13973460001\n".encode(),
                                "缺少必填的列：“代表证号”"),
    "binary_garbage": ("roster.csv", lambda p: bytes(range(256)) * 8, "不是表格文件"),
    "undecodable": ("roster.csv", lambda p: b"\x81\x30\xff\xfe\x80" * 50, "编码无法识别"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_broken_file_gets_a_clear_chinese_message_and_writes_nothing(db, tmp_path, case):
    name, make, expected = BROKEN[case]
    path = tmp_path / name
    path.write_bytes(make(tmp_path / "source.xlsx"))

    report = await import_file(db, "deputies", path)

    assert not report.ok
    assert expected in report.problem
    assert "没有写入任何数据" in report.text()
    assert await _deputies(db) == {}


async def test_missing_file_is_reported_not_raised(db, tmp_path):
    report = await import_file(db, "deputies", tmp_path / "nowhere.csv")
    assert not report.ok and "找不到文件" in report.problem


# ---------------------------------------------------------------------------- the command line
async def _cli(settings, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "JIANYI_DATABASE_URL": settings.database_url(), "JIANYI_SERVER_DATA_DIR": settings.server.data_dir}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "import", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


async def test_cli_import_exits_0_and_says_in_chinese_what_was_imported(db, settings, tmp_path):
    path = tmp_path / "代表名册.csv"
    path.write_bytes(DEPUTIES_CSV.encode("gbk"))

    code, out, err = await _cli(settings, "deputies", str(path))

    assert code == 0, out + err
    assert "已导入代表名册" in out and "新增 3 条" in out
    assert set(await _deputies(db)) == {"18001", "18002", "18003"}


async def test_cli_import_exits_1_on_a_wrong_row_without_traceback_and_writes_nothing(db, settings, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("代表证号,姓名\n18001,王建平\n18002,\n", encoding="utf-8")

    code, out, err = await _cli(settings, "deputies", str(path))

    assert code == 1
    assert "第 3 行：缺少“姓名”。" in out
    assert "Traceback" not in out + err
    assert await _deputies(db) == {}


async def test_cli_import_exits_1_on_a_broken_xlsx_without_traceback(db, settings, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(2000))

    code, out, err = await _cli(settings, "units", str(path))

    assert code == 1
    assert "无法读取这个 Excel 文件" in out
    assert "Traceback" not in out + err


def _wide_xlsx(path: Path, rows: int) -> Path:
    """A roster whose sheet declares columns up to XFD (16,384): one stray cell far to the right."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["代表证号", "姓名"])
    for n in range(rows):
        sheet.append([f"1{n:04d}", f"代表{n}"])
    sheet.cell(row=1, column=16384, value="备注")
    book.save(path)
    return path


def test_a_sheet_declaring_16384_columns_is_read_only_as_wide_as_a_roster_can_be(tmp_path):
    table = read_table(_wide_xlsx(tmp_path / "wide.xlsx", 200).read_bytes(), "wide.xlsx")
    assert len(table) == 201
    assert max(len(cells) for _, cells in table) <= MAX_COLUMNS


async def test_a_wide_sheet_imports_its_rows(db, tmp_path):
    report = await import_bytes(db, "deputies", _wide_xlsx(tmp_path / "wide.xlsx", 300).read_bytes(), "wide.xlsx")
    assert report.ok and report.created == 300, report.text()
