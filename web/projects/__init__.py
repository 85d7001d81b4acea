"""Livelihood projects (民生实事项目) for the public: the solicitation page /ms and the voted projects'
list /ms/projects (web/projects/public.py)."""
from __future__ import annotations

from aiohttp import web


def setup_routes(app: web.Application) -> None:
    from web.projects import public

    public.setup_routes(app)
