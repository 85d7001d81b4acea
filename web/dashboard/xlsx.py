""".xlsx workbooks written in constant memory, with print setup on every sheet.

The writer is rustpy-xlsxwriter (Python bindings of rust_xlsxwriter, the Rust port of XlsxWriter by the
same author): each sheet's rows stream from a generator into the file, nothing of the sheet is held in
memory. On the same ledger rows of 100k proposals (bench/exports.py --writers) it took 5 CPU s, against
43 for openpyxl's write-only mode with lxml (the writer before), 30 for XlsxWriter's constant_memory mode
and 29 for pyexcelerate (which held 490 MB); its files open in LibreOffice and read back in openpyxl. A workbook is written one sheet after another, so while the first sheet is streamed the
rows of the others (they come in the same chunks, e.g. a proposal and its assignments) wait in a
temporary file.

Every sheet prints landscape on A4, fitted to the page's width (as many pages down as it takes), with its
header row on every page, its grid lines and page numbers.

`stream_workbook` answers a request with a small export (written in a worker thread into a temporary
file, which is sent and removed); `write_from_pipe` is the writer process of a large export job
(web/dashboard/jobs.py sends it the rows).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import pickle
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, AsyncIterator, Iterable, Iterator, Optional, Sequence
from urllib.parse import quote

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rustpy_xlsxwriter import Format, write_worksheets

if TYPE_CHECKING:
    from aiohttp import web

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEND_CHUNK = 64 * 1024
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
CELL_LIMIT = 32767  # Excel's longest text in a cell
A4 = 9
PAGE_SETUP = {
    "landscape": True, "paper_size": A4, "fit_to_pages": (1, 0), "repeat_rows": 0, "print_gridlines": True,
    # inches: about 1 cm at the sides, 1.5 cm at the top and bottom
    "margins": {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6},
    "footer": "&C第 &P 页，共 &N 页",
}


@dataclass
class Sheet:
    """One sheet: its title, (header, width) columns, and the number formats of some columns."""

    title: str
    columns: Sequence[tuple[str, int]]
    formats: Optional[dict[int, str]] = None  # column index -> number format (e.g. "0.0%", DATE_FORMAT)
    notes: Optional[dict[int, str]] = None  # column index -> a note on its header (shown on hover: 口径说明)

    def __post_init__(self) -> None:
        headers = [name for name, _ in self.columns]
        if len(set(headers)) != len(headers) or len(self.title) > 31:
            raise ValueError(f"sheet {self.title!r}: headers must differ and the title fit in 31 characters")


Chunk = Sequence[Sequence[tuple]]  # one list of rows per sheet
Rows = AsyncIterator[Chunk]


def clean(value):
    """A value as a cell may hold it: text without characters XML refuses and within Excel's length; a
    time without its zone (stored times are already Beijing's); numbers as they are."""
    kind = type(value)
    if kind is str:
        if not value.isprintable():  # the common case skips the scan
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value if len(value) <= CELL_LIMIT else value[:CELL_LIMIT]
    if kind is dt.datetime and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _records(names: list[str], rows: Iterable[tuple]) -> Iterator[dict]:
    for row in rows:
        yield dict(zip(names, map(clean, row)))


def _options(specs: Sequence[Sheet]) -> dict:
    bold = Format().set_bold().set_text_wrap().set_align("top")
    names = {spec.title: [name for name, _ in spec.columns] for spec in specs}
    return {
        "datetime_format": DATETIME_FORMAT, "header_format": {"general": bold},
        "freeze_panes": {"general": {"row": 1, "col": 0}},
        "column_widths": {spec.title: [width for _, width in spec.columns] for spec in specs},
        "column_formats": {spec.title: {names[spec.title][i]: Format().set_num_format(f)
                                        for i, f in (spec.formats or {}).items()} for spec in specs},
        "notes": {spec.title: {names[spec.title][i]: {"text": text, "author": "口径说明", "width": 320, "height": 120}
                               for i, text in (spec.notes or {}).items()} for spec in specs},
        "page_setup": {spec.title: PAGE_SETUP for spec in specs},
    }


def write_workbook(path: str | os.PathLike, specs: Sequence[Sheet], chunks: Iterable[Chunk],
                   tmpdir: Optional[str] = None) -> list[int]:
    """Write `chunks` (one list of rows per sheet each) as a workbook at `path`; the rows of each sheet."""
    counts = [0] * len(specs)
    spools = [tempfile.TemporaryFile(dir=tmpdir) for _ in specs[1:]]  # gone when closed, or if we die
    names = [[name for name, _ in spec.columns] for spec in specs]

    def first() -> Iterator[dict]:
        for chunk in chunks:
            for index, (spool, rows) in enumerate(zip(spools, chunk[1:]), 1):
                if rows:
                    pickle.dump(rows, spool, protocol=pickle.HIGHEST_PROTOCOL)
                    counts[index] += len(rows)
            counts[0] += len(chunk[0])
            yield from _records(names[0], chunk[0])
        if not counts[0]:
            yield dict.fromkeys(names[0])  # no rows: the header alone

    def later(index: int) -> Iterator[dict]:
        spool = spools[index - 1]
        spool.seek(0)
        while True:
            try:
                rows = pickle.load(spool)
            except EOFError:
                break
            yield from _records(names[index], rows)
        if not counts[index]:
            yield dict.fromkeys(names[index])

    try:
        sheets = [(specs[0].title, first())] + [(spec.title, later(i)) for i, spec in enumerate(specs[1:], 1)]
        write_worksheets(sheets, str(path), **_options(specs))
    finally:
        for spool in spools:
            spool.close()
    return counts


def write_from_pipe(connection, path: str, specs: Sequence[Sheet]) -> None:
    """The writer process of an export job: chunks arrive on `connection` until None; then ("done", rows of
    the first sheet) is sent back, or ("failed", why) if the book could not be written."""

    def received() -> Iterator[Chunk]:
        while (chunk := connection.recv()) is not None:
            yield chunk

    try:
        counts = write_workbook(path, specs, received(), tmpdir=os.path.dirname(path))
        connection.send(("done", counts[0]))
    except EOFError:  # the job's process is gone: nothing to finish
        return
    except (OSError, ValueError, TypeError, RuntimeError) as exc:  # RuntimeError: the writer's own errors
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def content_disposition(filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in ".-_" else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def download_headers(filename: str) -> dict:
    return {"Content-Type": XLSX, "Content-Disposition": content_disposition(filename),
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def stream_workbook(request: web.Request, filename: str, specs: Sequence[Sheet], rows: Rows) -> web.StreamResponse:
    """Answer with a small workbook of `specs` whose rows come from `rows` (chunks, one list per sheet per
    chunk): gathered, written in a worker thread into a temporary file, sent and removed."""
    chunks = [chunk async for chunk in rows]
    handle, path = tempfile.mkstemp(prefix="jianyi-export-", suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(write_workbook, path, specs, chunks)
        return await send_file(request, path, filename)
    finally:
        os.unlink(path)


async def send_file(request: web.Request, path: str | os.PathLike, filename: str) -> web.StreamResponse:
    """Send a finished workbook, 64 KiB at a time, read in a worker thread."""
    from aiohttp import web

    response = web.StreamResponse(headers=download_headers(filename))
    response.content_length = os.path.getsize(path)
    await response.prepare(request)
    with open(path, "rb") as file:
        while data := await asyncio.to_thread(file.read, SEND_CHUNK):
            await response.write(data)
    await response.write_eof()
    return response


def stamp(today: dt.date) -> str:
    return f"{today:%Y%m%d}"
