"""The data flow stays one way: SQL only in store/, no platform or scheduler library below platforms/."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PLATFORM_LIBRARIES = {"telegram", "slack_bolt", "slack_sdk", "apscheduler", "aiohttp"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


@pytest.mark.parametrize("path", python_files("store", "ingest", "analysis", "handlers"), ids=str)
def test_core_layers_import_no_platform_or_scheduler_library(path):
    roots = {name.split(".")[0] for name in imported_modules(path)}
    assert not roots & PLATFORM_LIBRARIES, f"{path.relative_to(ROOT)} imports {roots & PLATFORM_LIBRARIES}"


@pytest.mark.parametrize("path", python_files("analysis"), ids=str)
def test_analysis_is_pure_and_touches_no_store(path):
    modules = imported_modules(path)
    assert not {m for m in modules if m.startswith("diplobot.store") or m in {"sqlite3", "sqlite_utils", "httpx"}}


def sql_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"execute", "executescript", "executemany", "query"}]


@pytest.mark.parametrize("path", [*ROOT.glob("*.py"), *python_files(
    "ingest", "analysis", "handlers", "platforms")], ids=str)
def test_sql_lives_only_in_store(path):
    assert sql_calls(path) == [], f"{path.relative_to(ROOT)} runs SQL"


def test_the_sql_detector_sees_the_store_sql():
    assert sql_calls(ROOT / "store" / "alerts.py")
