"""The package's floors: every import goes down (or sideways within a floor), none makes a circle,
and every module stays small enough to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "src" / "corpuspack"
# Bottom to top; a module is on the floor of the longest prefix of its dotted name listed here.
FLOORS = [
    # what everything may use: the contract, settings' declarations, errors, text helpers
    [
        "version",
        "errors",
        "regular",
        "printable",
        "containment",
        "text",
        "tables",
        "formats",
        "tuning",
        "progress",
        "staging",
        "settings",
        "storage",
        "model",
        "ids",
    ],
    ["dedup", "signals"],  # pure decisions and measurements, and their settings
    ["config", "schema", "projects"],
    ["sources"],  # reading seed files
    ["validation"],
    ["pipeline"],  # the per-chunk work, the spill, the global order, rows assembled
    ["publish"],  # formats: Parquet, save_to_disk, manifest, Croissant, card, versions on disk
    ["engines"],  # scheduling only
    ["stages"],  # read, dedup, write, finish
    ["builder", "diffing", "explaining"],
    ["verifying", "reporting"],  # reporting: figures and a page of a version
    ["releases", "pushing"],
    ["scaffold"],
    ["api", "options", "reporters", "terminal"],
    ["cli", "__main__", "__init__"],
]
MAX_LINES = 300


def _floor(name: str) -> int:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        for floor, names in enumerate(FLOORS):
            if ".".join(parts[:n]) in names:
                return floor
    raise AssertionError(f"{name}: on no floor; add it to FLOORS")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules `name` imports at run time (not those only for type checking)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = package[: len(package) - node.level + 1] if node.level > 1 else package
        target = ".".join([*base, *([node.module] if node.module else [])])
        for alias in node.names:
            full = f"{target}.{alias.name}" if target else alias.name
            if full in known:
                found.add(full)
            elif target in known:
                found.add(target)
    return found


def test_every_import_goes_down_a_floor_or_stays_on_it():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for target in _imports(name, path, set(modules)):
            if _floor(target) > _floor(name):
                upward.append(f"{name} (floor {_floor(name)}) imports {target} (floor {_floor(target)})")
    assert not upward, "\n".join(upward)


def test_no_import_circle():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if target == name or (target.startswith(name + ".") and modules[name].name == "__init__.py"):
                continue  # a package re-exporting its own modules
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join([*trail, name, target]))
            if target not in state:
                visit(target, [*trail, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_every_module_is_short():
    long = {n: len(p.read_text().splitlines()) for n, p in _modules().items()}
    assert not {n: k for n, k in long.items() if k > MAX_LINES}
