"""The data flow stays one way: each layer imports only the layers below it, SQL lives only in store/, store/ is
SQL only (no analysis, charts, ingest or enrichment policy), and no platform or scheduler library is used below
platforms/.

Layers, lowest first: analysis, charts, ingest, store, enrichment, handlers, platforms. The top-level modules that
own the flow (pipeline, poller, outbox, scheduler, runtime, bot, ...) may use every layer; a layer may use the small
shared helpers at the top level (`BASE`) but never the flow itself. Each rule is checked on the real tree and on a
probe that breaks it, so a checker that sees nothing cannot pass.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
LAYERS = ("analysis", "charts", "ingest", "store", "enrichment", "handlers", "platforms")
NOT_IN_STORE = {"analysis", "charts", "ingest", "enrichment"}  # store/ is SQL only: the policy lives above it
BASE = {"texts", "clock", "config", "logs", "sandbox", "webserver"}
PLATFORM_LIBRARIES = {"telegram", "slack_bolt", "slack_sdk", "apscheduler", "aiohttp"}
SQL_METHODS = {"execute", "executescript", "executemany", "query"}
TABLE_METHODS = {
    "insert",
    "insert_all",
    "upsert",
    "upsert_all",
    "update",
    "delete",
    "delete_where",
    "rows_where",
    "get",
    "search",
    "lookup",
    "count_where",
    "create",
    "transform",
    "drop",
    "enable_fts",
}


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "diplobot")
    return names


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def layer_violations(layer: str, tree: ast.AST) -> set[str]:
    """The diplobot modules this layer's module imports although they are not below it (nor shared helpers)."""
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) | BASE
    bad = set()
    for name in imported_modules(tree):
        parts = name.split(".")
        if parts[0] == "diplobot" and len(parts) > 1 and parts[1] not in allowed:
            bad.add(name)
    return bad


def store_policy_imports(tree: ast.AST) -> set[str]:
    """The layers of policy a store module imports (store/ is SQL only, whatever `LAYERS` would allow)."""
    return {
        name for name in imported_modules(tree) if name.startswith("diplobot.") and name.split(".")[1] in NOT_IN_STORE
    }


def sql_sites(tree: ast.AST) -> list[int]:
    """Lines that run SQL: execute()/query() calls, sqlite-utils table methods on `db[...]` or `.table(...)`,
    and any use of the raw connection."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            on_table = isinstance(target, ast.Subscript) or (
                isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) and target.func.attr == "table"
            )
            if node.func.attr in SQL_METHODS or (on_table and node.func.attr in TABLE_METHODS):
                lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", python_files(*LAYERS), ids=str)
def test_each_layer_imports_only_the_layers_below_it(path):
    wrong = layer_violations(path.relative_to(ROOT).parts[0], parse(path))
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"


@pytest.mark.parametrize("path", python_files("store"), ids=str)
def test_store_is_sql_only_and_imports_no_policy(path):
    wrong = store_policy_imports(parse(path))
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"


@pytest.mark.parametrize("path", python_files("store", "ingest", "analysis", "enrichment", "handlers"), ids=str)
def test_core_layers_import_no_platform_or_scheduler_library(path):
    roots = {name.split(".")[0] for name in imported_modules(parse(path))}
    assert not roots & PLATFORM_LIBRARIES, f"{path.relative_to(ROOT)} imports {roots & PLATFORM_LIBRARIES}"


@pytest.mark.parametrize("path", python_files("analysis"), ids=str)
def test_analysis_is_pure_and_touches_no_store(path):
    modules = imported_modules(parse(path))
    assert not {m for m in modules if m.startswith("diplobot.store") or m in {"sqlite3", "sqlite_utils", "httpx"}}


@pytest.mark.parametrize(
    "path",
    [*sorted(ROOT.glob("*.py")), *python_files("ingest", "analysis", "enrichment", "handlers", "platforms")],
    ids=str,
)
def test_sql_lives_only_in_store(path):
    assert sql_sites(parse(path)) == [], f"{path.relative_to(ROOT)} runs SQL"


def test_the_checks_catch_a_probe_that_breaks_the_layers():
    probe = ast.parse(
        "from diplobot.platforms import telegram\n"
        "from diplobot import pipeline\n"
        "import diplobot.outbox\n"
        "from diplobot.store import articles\n"
        "from diplobot.enrichment import people\n"
        "from diplobot.analysis.names import same_person\n"
        "if TYPE_CHECKING:\n"
        "    from diplobot.ingest.models import ArticleDraft\n"
        "def sneaky(db):\n"
        "    db['articles'].delete_where('1')\n"
        "    db.table('chats').insert({})\n"
        "    db.conn.cursor()\n"
        "    db.execute('select 1')\n"
    )
    assert layer_violations("handlers", probe) == {"diplobot.platforms", "diplobot.pipeline", "diplobot.outbox"}
    assert layer_violations("platforms", probe) == {"diplobot.pipeline", "diplobot.outbox"}
    assert layer_violations("store", probe) >= {"diplobot.enrichment", "diplobot.platforms"}
    assert store_policy_imports(probe) == {
        "diplobot.enrichment",
        "diplobot.analysis.names",
        "diplobot.ingest.models",
    }
    assert sorted(sql_sites(probe)) == [10, 11, 12, 13]


def test_the_sql_detector_sees_the_store_sql():
    assert sql_sites(parse(ROOT / "store" / "alerts.py"))
