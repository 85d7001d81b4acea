"""答复函: the reply letter a unit signs and seals (docs/letters.md). pages.py prints it (A4 page and
.docx), sealed.py takes and serves the sealed PDF, heads.py keeps the units' registered heads (签发人)."""
from __future__ import annotations

from aiohttp import web


def setup_routes(app: web.Application) -> None:
    """The letter's pages for units (/u/), staff (/console/) and deputies (/f/); the heads' console page."""
    from web.letters import heads, pages, sealed

    pages.setup_routes(app)
    sealed.setup_routes(app)
    heads.setup_routes(app)
