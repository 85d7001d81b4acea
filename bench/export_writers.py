"""Writers compared on the very same ledger rows (bench/exports.py --writers).

The rows of 2025 are read once and pickled; each writer then runs in a fresh process of its own on them:
openpyxl's write-only mode with et_xmlfile and with lxml (what the streamed export used), XlsxWriter in
constant_memory mode and pyexcelerate when they are importable (they are not dependencies of the product),
and rustpy-xlsxwriter as web/dashboard/xlsx.py uses it (the one chosen). Each file is read back with openpyxl;
when LibreOffice is installed a sample of each (the first 2,000 proposals) is converted to PDF by
`libreoffice --headless`, and its pages counted (print setup shows there).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import pickle
import shutil
import time
from pathlib import Path

from bench.exports import Peaks, _in_child, openpyxl_book
from storage.db import Database
from web.dashboard.exports import LEDGER_SHEETS
from web.dashboard.xlsx import write_workbook
from workflow.readmodels.stats import Scope


# ------------------------------------------------------------------ writers on the same rows
# Each takes the file's path and an iterator of chunks (one list of rows per sheet each).
def _openpyxl(path: str, chunks) -> None:
    append, close = openpyxl_book(path)
    for chunk in chunks:
        append(chunk)
    close()


def _pyexcelerate(path: str, chunks) -> None:
    from pyexcelerate import Workbook  # holds every row until save: not constant memory

    data = [[[name for name, _ in spec.columns]] for spec in LEDGER_SHEETS]
    for chunk in chunks:
        for rows, new in zip(data, chunk):
            rows.extend(new)
    book = Workbook()
    for spec, rows in zip(LEDGER_SHEETS, data):
        book.new_sheet(spec.title, data=rows)
    book.save(path)


def _xlsxwriter(path: str, chunks) -> None:
    """XlsxWriter's constant_memory mode, each cell written by its type, with the same print setup."""
    import xlsxwriter

    from web.dashboard.xlsx import clean

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "default_date_format": "yyyy-mm-dd hh:mm"})
    sheets, day = [], book.add_format({"num_format": "yyyy-mm-dd"})
    for spec in LEDGER_SHEETS:
        ws = book.add_worksheet(spec.title)
        for index, (name, width) in enumerate(spec.columns):
            ws.set_column(index, index, width)
            ws.write_string(0, index, name)
        ws.set_landscape(), ws.set_paper(9), ws.fit_to_pages(1, 0), ws.repeat_rows(0), ws.freeze_panes(1, 0)
        sheets.append([ws, 1])
    for chunk in chunks:
        for sheet, rows in zip(sheets, chunk):
            ws, r = sheet
            for row in rows:
                for c, value in enumerate(map(clean, row)):
                    if type(value) is dt.date:
                        ws.write_datetime(r, c, value, day)
                    elif value is not None and value != "":
                        ws.write(r, c, value)
                r += 1
            sheet[1] = r
    book.close()


def _chosen(path: str, chunks) -> None:
    write_workbook(path, LEDGER_SHEETS, chunks)


WRITERS = {"openpyxl write-only (et_xmlfile)": _openpyxl, "openpyxl write-only + lxml": _openpyxl,
           "xlsxwriter constant_memory": _xlsxwriter, "pyexcelerate": _pyexcelerate,
           "rustpy-xlsxwriter (chosen: web/dashboard/xlsx.py)": _chosen}


def _chunks(source: str):
    with open(source, "rb") as file:
        while True:
            try:
                yield pickle.load(file)
            except EOFError:
                return


def write_rows(name: str, source: str, path: str, read_back: bool) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    try:
        with Peaks() as peaks:
            WRITERS[name](path, _chunks(source))
    except ImportError as exc:
        return {"writer": name, "skipped": f"not installed ({exc.name})"}
    found = {"writer": name, "wall_s": round(time.perf_counter() - start, 1),
             "cpu_s": round(time.process_time() - cpu, 1), "peak_rss_mb": peaks.figures()["peak_rss_mb"],
             "mb": round(os.path.getsize(path) / 2**20, 1)}
    if read_back:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        found["rows_read_back"] = [sum(1 for _ in ws.iter_rows(min_row=2, values_only=True)) for ws in book]
        book.close()
    return found


async def compare_writers(url: str, folder: str) -> list[dict]:
    from web.dashboard.exports import ledger_rows

    db, whole, sample = Database(url), Path(folder) / "rows.pkl", Path(folder) / "sample.pkl"
    with open(whole, "wb") as rows, open(sample, "wb") as few:
        index = 0
        async for chunk in ledger_rows(db, Scope(year=2025)):
            pickle.dump(chunk, rows, protocol=5)
            if (index := index + 1) <= 2:  # the first 2,000 proposals: what LibreOffice converts to PDF
                pickle.dump(chunk, few, protocol=5)
    await db.dispose()
    found = []
    for name in WRITERS:
        os.environ["OPENPYXL_LXML"] = "False" if "et_xmlfile" in name else "True"  # read by the child at import
        out = str(Path(folder) / "writer.xlsx")
        result = await asyncio.to_thread(_in_child, write_rows, name, str(whole), out, True)
        if "skipped" not in result:
            await asyncio.to_thread(_in_child, write_rows, name, str(sample), out, False)
            result["libreoffice_pdf_pages"] = await asyncio.to_thread(_pdf_pages, out, folder)
        print(f"[bench] writer {result}", flush=True)
        found.append(result)
    os.environ.pop("OPENPYXL_LXML", None)
    return found


def _pdf_pages(path: str, folder: str):
    """Pages of the PDF LibreOffice prints the sample to (None: not installed; "failed": could not open it)."""
    import re
    import subprocess

    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        return None
    profile = Path(folder) / "lo-profile"
    done = subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", folder, path], capture_output=True, timeout=600)
    pdf = Path(folder) / (Path(path).stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        return "failed"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    pdf.unlink()
    return pages
