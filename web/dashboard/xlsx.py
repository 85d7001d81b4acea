"""Stream an .xlsx workbook to the client in constant memory.

openpyxl's write-only mode writes each sheet's rows to a temporary file as they are appended; the
rows arrive in chunks from the database (each chunk is appended in a worker thread, so the event
loop keeps serving); at the end the zip is written straight into the HTTP response through a small
file-like sink, 64 KiB at a time. Nothing holds the whole workbook in memory.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
from dataclasses import dataclass
from typing import AsyncIterator, Callable, Optional, Sequence
from urllib.parse import quote

from aiohttp import web
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SINK_CHUNK = 64 * 1024
HEADER_FONT = Font(bold=True)


@dataclass
class Sheet:
    """One sheet: its title, (header, width) columns, and the number formats of some columns."""

    title: str
    columns: Sequence[tuple[str, int]]
    formats: Optional[dict[int, str]] = None  # column index -> number format (e.g. "0.0%")
    notes: Optional[dict[int, str]] = None  # column index -> a note on its header (shown on hover: 口径说明)


Rows = AsyncIterator[Sequence[Sequence[tuple]]]  # chunks; each chunk has one list of rows per sheet


class ResponseSink(io.RawIOBase):
    """A write-only file for zipfile, run in a worker thread: bytes go to the response on the loop."""

    def __init__(self, response: web.StreamResponse, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self.response, self.loop, self.buffer, self.sent = response, loop, bytearray(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= SINK_CHUNK:
            self._send()
        return len(data)

    def flush(self) -> None:
        if self.buffer and not self.closed:
            self._send()

    def _send(self) -> None:
        chunk, self.buffer = bytes(self.buffer), bytearray()
        asyncio.run_coroutine_threadsafe(self.response.write(chunk), self.loop).result()
        self.sent += len(chunk)


def clean(value):
    """A value as a cell may hold it: text without characters XML refuses; dates and numbers as they are."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _cells(ws, row: Sequence, formats: dict[int, str]) -> list:
    cells = []
    for index, value in enumerate(row):
        value = clean(value)
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"  # text typed by people is never a formula
            cells.append(cell)
        elif index in formats and value is not None:
            cell = WriteOnlyCell(ws, value)
            cell.number_format = formats[index]
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def _append(sheets, specs: Sequence[Sheet], chunk: Sequence[Sequence[tuple]]) -> None:
    for ws, spec, rows in zip(sheets, specs, chunk):
        formats = spec.formats or {}
        for row in rows:
            ws.append(_cells(ws, row, formats))


def _start(book: Workbook, spec: Sheet):
    ws = book.create_sheet(spec.title)
    for index, (_, width) in enumerate(spec.columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header, notes = [], spec.notes or {}
    for index, (name, _) in enumerate(spec.columns):
        cell = WriteOnlyCell(ws, name)
        cell.font = HEADER_FONT
        if index in notes:
            cell.comment = Comment(notes[index], "口径说明", width=320, height=120)
        header.append(cell)
    ws.append(header)
    return ws


def content_disposition(filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in ".-_" else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


async def stream_workbook(request: web.Request, filename: str, specs: Sequence[Sheet], rows: Rows,
                          on_done: Optional[Callable[[int], None]] = None) -> web.StreamResponse:
    """Send a workbook of `specs` whose rows come from `rows` (chunks, one list per sheet per chunk)."""
    response = web.StreamResponse(headers={
        "Content-Type": XLSX, "Content-Disposition": content_disposition(filename),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
    await response.prepare(request)
    book = Workbook(write_only=True)
    book.properties.creator = "代表建议办理系统"
    try:
        sheets = [_start(book, spec) for spec in specs]
        async for chunk in rows:
            await asyncio.to_thread(_append, sheets, specs, chunk)
        sink = ResponseSink(response, asyncio.get_running_loop())
        await asyncio.to_thread(_save, book, sink)
    finally:
        _cleanup(book)
    await response.write_eof()
    if on_done is not None:
        on_done(sink.sent)
    return response


def _save(book: Workbook, sink: ResponseSink) -> None:
    book.save(sink)
    sink.flush()


def _cleanup(book: Workbook) -> None:
    """Remove the sheets' temporary files even when the export stopped half-way (client gone)."""
    for ws in book.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None or not os.path.exists(writer.out):
            continue
        writer.xf.close()  # the generator holding the file open
        writer.cleanup()


def stamp(today: dt.date) -> str:
    return f"{today:%Y%m%d}"
