"""Typed keys of the objects the web application shares."""
from aiohttp import web

from storage.db import Database
from workflow.engine.engine import Engine
from workflow.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
DB = web.AppKey("db", Database)
