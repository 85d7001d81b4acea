"""Migration 0025 moves what the indexes hold of a proposal onto its row: a database indexed under 0024
keeps its index (no re-indexing at start), counts its indexed proposals, and goes back down intact."""
from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import storage.db

NOW = "2026-03-01 08:00:00"


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(storage.db.__file__).resolve().parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


def _rows(path: Path, sql: str) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _seed_0024(path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO deputies (id, number, name, delegation, phone, work_unit, term, active, "
                             f"created_at) VALUES (1, 'D001', '张三', '', '', '', '', 1, '{NOW}')"))
        for pid in (1, 2):
            conn.execute(sa.text(
                "INSERT INTO proposals (id, number, year, title, content, category, lead_deputy_id, state, version, "
                "confidential, face_to_face, key_supervision, key_leader, key_committee, key_proposed, "
                "unsatisfied_count, round, state_reason, event_count, last_event_hash, created_at, updated_at) "
                f"VALUES ({pid}, '2026-00{pid}', 2026, '关于路灯的建议', '安装路灯', '其他', 1, 'submitted', 1, 0, 0, 0, "
                f"'', '', 0, 0, 1, '', 0, '', '{NOW}', '{NOW}')"))
        conn.execute(sa.text("INSERT INTO indexed_texts VALUES (1, 'd1', 3), (2, 'd2', 3)"))
        for rid in (5, 7, 9):  # the third reply came after the index was written: not counted
            conn.execute(sa.text(
                "INSERT INTO replies (id, proposal_id, assignment_id, round, kind, category, text, signer, on_time, "
                f"published, created_at) VALUES ({rid}, 2, 1, 1, 'answer', 'A', '已安装', '局长', 1, 0, '{NOW}')"))
        conn.execute(sa.text("INSERT INTO indexed_replies VALUES (2, 7, 4)"))
        conn.execute(sa.text("INSERT INTO gram_stats VALUES ('路灯', 2)"))
    engine.dispose()


async def test_an_index_built_under_0024_is_kept_on_the_proposals_and_survives_a_downgrade(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(command.upgrade, _config(url), "0024")
    _seed_0024(path)
    await asyncio.to_thread(command.upgrade, _config(url), "0025")
    assert _rows(path, "SELECT id, indexed_digest, replies_indexed FROM proposals ORDER BY id") == [
        (1, "d1", None), (2, "d2", 2)]
    assert _rows(path, "SELECT df FROM gram_stats WHERE gram = ''") == [(2,)]
    assert _rows(path, "SELECT df FROM gram_stats WHERE gram = '路灯'") == [(2,)]
    await asyncio.to_thread(command.downgrade, _config(url), "0024")
    assert _rows(path, "SELECT proposal_id, digest FROM indexed_texts ORDER BY proposal_id") == [(1, "d1"), (2, "d2")]
    assert _rows(path, "SELECT proposal_id, last_reply_id FROM indexed_replies") == [(2, 0)]  # re-indexed at start
    assert _rows(path, "SELECT count(*) FROM gram_stats WHERE gram = ''") == [(0,)]


def _without_rowid(path: Path) -> dict[str, bool]:
    return {name: "WITHOUT ROWID" in sql.upper() for name, sql in _rows(
        path, "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
              "AND name IN ('proposal_grams', 'reply_grams', 'gram_stats')")}


async def test_0026_keeps_the_index_rows_in_tables_without_rowid_on_sqlite_and_back(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(command.upgrade, _config(url), "0024")
    _seed_0024(path)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO proposal_grams VALUES ('路灯', 1), ('路灯', 2), ('安装', 2)"))
        conn.execute(sa.text("INSERT INTO reply_grams VALUES ('安装', 2)"))
    engine.dispose()
    await asyncio.to_thread(command.upgrade, _config(url), "0026")
    assert _without_rowid(path) == {"proposal_grams": True, "reply_grams": True, "gram_stats": True}
    postings = "SELECT gram, proposal_id FROM proposal_grams ORDER BY proposal_id, gram"
    assert _rows(path, postings) == [("路灯", 1), ("安装", 2), ("路灯", 2)]
    assert _rows(path, "SELECT gram, proposal_id FROM reply_grams") == [("安装", 2)]
    assert _rows(path, "SELECT gram, df FROM gram_stats ORDER BY gram") == [("", 2), ("路灯", 2)]
    indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%grams_proposal_id' ORDER BY name"
    assert _rows(path, indexes) == [("ix_proposal_grams_proposal_id",), ("ix_reply_grams_proposal_id",)]
    await asyncio.to_thread(command.downgrade, _config(url), "0025")
    assert _without_rowid(path) == {"proposal_grams": False, "reply_grams": False, "gram_stats": False}
    assert _rows(path, postings) == [("路灯", 1), ("安装", 2), ("路灯", 2)]
    assert _rows(path, indexes) == [("ix_proposal_grams_proposal_id",), ("ix_reply_grams_proposal_id",)]
