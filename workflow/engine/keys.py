"""The chain key: read once from the settings (or the key file, created on first use), never stored
in the database. `Database(url, chain_key=...)` carries it to every session it makes."""
from __future__ import annotations

from storage.audit_files import read_or_create_key
from workflow.settings import Settings


def chain_key_for(settings: Settings) -> bytes:
    """`[audit] key` when set (or env JIANYI_AUDIT_KEY), else the key file's content."""
    if settings.audit.key:
        return settings.audit.key.encode("utf-8")
    return read_or_create_key(settings.audit_key_file())
