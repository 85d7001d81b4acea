"""Reading a roster file: the rows of a .xlsx sheet or a .csv text (any of the encodings county offices
save in) as (row number, cells), bounded in size. No database: roster_import.py checks and writes."""
from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from pathlib import Path
from typing import Any, Callable

MAX_BYTES = 20 * 1024 * 1024


MAX_ROWS = 50_000
MAX_COLUMNS = 64  # a roster has about ten; a sheet may declare 16,384 (XFD) and openpyxl pads every row to them
HEADER_SEARCH_ROWS = 10  # a title line or two ("XX县第十八届人大代表名册") may sit above the header


class FileProblem(Exception):
    """The file as a whole cannot be read as a roster (Chinese message for people)."""


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise FileProblem(f"找不到文件 {path}。")
    if not path.is_file():
        raise FileProblem(f"{path} 不是文件。")
    if path.stat().st_size > MAX_BYTES:
        raise FileProblem(f"文件太大（超过 {MAX_BYTES // 1024 // 1024} MB），名册文件通常不会这么大。")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileProblem(f"无法读取文件：{exc.strerror or exc}。") from None


def read_table(data: bytes, filename: str, is_header: Callable[[list[str]], bool] = bool) -> list[tuple[int, list[str]]]:
    """The file's rows as (row number, cells as text), from .xlsx or from CSV text in any usual encoding."""
    if not data.strip():
        raise FileProblem("文件是空的。")
    if len(data) > MAX_BYTES:
        raise FileProblem(f"文件太大（超过 {MAX_BYTES // 1024 // 1024} MB）。")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data, is_header)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再导入。")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblem("文件扩展名是 .xlsx，但内容不是有效的 Excel 文件（可能已损坏或只是改了扩展名）。")
    return _csv_rows(_decode(data))


def _xlsx_rows(data: bytes, is_header: Callable[[list[str]], bool]) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheets = [book.active] + [s for s in book.worksheets if s is not book.active]
                tables = [_sheet_rows(sheet) for sheet in sheets if sheet is not None]
            finally:
                book.close()
    except FileProblem:
        raise
    # openpyxl raises many kinds of errors on a damaged file (zip, XML, KeyError for missing parts...);
    # whichever it is, the person importing needs the same answer.
    except Exception:  # noqa: BLE001
        raise FileProblem("无法读取这个 Excel 文件：文件已损坏，或不是 .xlsx 格式。"
                          "请用 Excel 打开后“另存为” .xlsx 或 CSV 再导入。") from None
    for table in tables:  # the first sheet that has a recognisable roster header
        if any(is_header(cells) for _, cells in table[:HEADER_SEARCH_ROWS]):
            return table
    return tables[0] if tables else []


def _sheet_rows(sheet) -> list[tuple[int, list[str]]]:
    rows = []
    rows_read = MAX_ROWS + HEADER_SEARCH_ROWS + 1  # one past the limit, to tell "too many"
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_row=rows_read, max_col=MAX_COLUMNS),
                                    start=1):
        if number > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise FileProblem(f"行数太多（超过 {MAX_ROWS} 行）。")
        cells = [_cell_text(v) for v in values]
        if any(cells):
            rows.append((number, cells))
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 13800000000 and 18001 as numbers
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _decode(data: bytes) -> str:
    """CSV text: UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 (Excel on Chinese Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileProblem("文件编码无法识别，请另存为 CSV（UTF-8）或 .xlsx 后再导入。") from None
    if b"\x00" in data:
        raise FileProblem("这不是表格文件（内容是二进制数据）。请导入 .xlsx 或 .csv 文件。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem("文件编码无法识别，请另存为 CSV（UTF-8）或 .xlsx 后再导入。")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n")
    if controls:
        raise FileProblem("这不是表格文件（含有无法识别的控制字符）。请导入 .xlsx 或 .csv 文件。")
    return text


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([",", "\t", ";"], key=first.count)
    rows = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise FileProblem(f"行数太多（超过 {MAX_ROWS} 行）。")
            cells = [v.strip() for v in values]
            if any(cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise FileProblem(f"CSV 格式有误（{exc}），请用 Excel 打开后重新“另存为” CSV。") from None
    return rows
