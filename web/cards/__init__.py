"""亮身份 (docs/deputy-card.md): the deputy's public card /d/<number>, its printable 代表牌
/d/<number>/plate, and a station's 公示牌 /console/stations/<id>/plate for staff (pages.py)."""
from __future__ import annotations

from aiohttp import web


def setup_routes(app: web.Application) -> None:
    from web.cards import pages

    pages.setup_routes(app)
