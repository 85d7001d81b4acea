"""Database engines and sessions (SQLite with WAL, or PostgreSQL through asyncpg).

Two session factories: `write()` serialises writers (SQLite `BEGIN IMMEDIATE`, so a transaction that
read a proposal cannot be overtaken before it writes; PostgreSQL rows are locked with FOR UPDATE by the
repositories), `read()` is for pages and reports.

`chain_key` is the event log's HMAC key. It is never stored in the database (it comes from the
settings, see workflow/engine/keys.py); every session made here carries it as `session.info["chain_key"]`
for the one writer of the log, workflow/engine/chain.py.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from .models import Base

# Every PostgreSQL connection of ours: no JIT compilation. Our statements are short OLTP reads and writes,
# and a dashboard list statement of tens of kB was once measured spending 17.6 of 17.8 s compiling.
POSTGRES_SESSION = {"jit": "off"}


def _sqlite_pragmas(immediate: bool):
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


class Database:
    """The engines of one database URL and the sessions made from them."""

    def __init__(self, url: str, echo: bool = False, chain_key: bytes | None = None):
        self.url = url
        self.chain_key = chain_key
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.write_engine = self._engine(immediate=True, echo=echo)
        self.read_engine = self._engine(immediate=False, echo=echo) if self.is_sqlite else self.write_engine
        self._write = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read = async_sessionmaker(self.read_engine, expire_on_commit=False)

    def _engine(self, immediate: bool, echo: bool) -> AsyncEngine:
        if self.is_sqlite:
            engine = create_async_engine(self.url, echo=echo, connect_args={"timeout": 30})
            on_connect, on_begin = _sqlite_pragmas(immediate)
            event.listen(engine.sync_engine, "connect", on_connect)
            event.listen(engine.sync_engine, "begin", on_begin)
            return engine
        return create_async_engine(self.url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                   connect_args={"server_settings": POSTGRES_SESSION})

    def write(self) -> AsyncSession:
        return self._write(info={"chain_key": self.chain_key})

    def read(self) -> AsyncSession:
        return self._read(info={"chain_key": self.chain_key})

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()

    async def create_all(self) -> None:
        """Create the tables directly (tests of the models only; the product uses migrations)."""
        async with self.write_engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def truncate_all(self) -> None:
        """Empty every table (tests: each test starts from an empty database)."""
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        async with self.write_engine.begin() as conn:
            if self.is_sqlite:
                for name in tables:
                    await conn.exec_driver_sql(f"DELETE FROM {name}")
            else:
                await conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def upgrade(url: str) -> None:
    """Create or upgrade the database to the newest migration (blocking; call from a thread in async code)."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).resolve().parent
    config = Config()
    config.set_main_option("script_location", str(here / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(config, "head")
