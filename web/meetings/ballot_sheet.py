"""The printable sheet of a meeting's new 评分票 (ballot slips): A4, 2 × 5 slips a page, each with its
number, its code in readable form and a QR code of `<public_url>/v/<meeting token>?c=<code>` (SVG drawn
here by segno, nothing loaded from elsewhere).

The sheet is the answer to the POST that made the codes: the only time they exist in clear. It is not
kept, cached or shown again (the database has only their keyed hashes); a batch that did not print is
voided and a new one made."""
from __future__ import annotations

import segno
from markupsafe import Markup

from workflow.domain.ballots import BALLOT_KINDS, SLIPS_PER_PAGE, format_code
from workflow.domain.definition import RATINGS
from workflow.domain.projects import EVALUATION_CHOICES
from workflow.usecases.meeting_ballots import PrintedBatch


def slip_qr(text: str) -> Markup:
    svg = segno.make(text, error="m").svg_inline(scale=3, border=2, omitsize=True, title="评分票二维码")
    return Markup(svg)


def sheet_context(printed: PrintedBatch, public_url: str) -> dict:
    """What meetings/ballots.html shows: the slips, page by page."""
    page_url = f"{public_url.rstrip('/')}/v/{printed.vote_token}"
    slips = [{"serial": serial, "code": format_code(code), "qr": slip_qr(f"{page_url}?c={code}")}
             for serial, code in printed.slips]
    pages = [slips[i:i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    choices = EVALUATION_CHOICES if printed.round_kind else RATINGS  # a 测评 round's have 弃权 too
    return {"printed": printed, "pages": pages, "page_url": page_url,
            "first": printed.slips[0][0], "last": printed.slips[-1][0], "count": len(printed.slips),
            "kind_label": BALLOT_KINDS.get(printed.kind, "群众"), "choices": " / ".join(choices.values()),
            "item_word": "测评项目" if printed.round_kind else "评议事项"}
