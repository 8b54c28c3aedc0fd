"""Imports go one way: cli -> sync -> pipeline -> stages -> model/errors/ids/atomic; only cli imports click.

Modules of a sub-package are named with a dot (``sync.plan``). Nothing in the
core imports ``sync``, and only ``sync.anki_backend`` imports ``anki``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ankigen"
# Who may import whom (ankigen modules only). A module not listed may import only the foundation.
FOUNDATION = {"model", "errors", "ids", "atomic", "labels"}
ALLOWED = {
    "cli": {"pipeline", "errors", "lockfile", "watch", "fix_ids", "sync", "sync.command", "sync.plan", "sync.diff",
            "sync.profiles", "sync.anki_backend", "one_package"},
    "fix_ids": {"loader", "pipeline"},
    "__main__": {"cli"},
    "watch": {"pipeline"},
    "pipeline": {"loader", "cards", "lint", "lockfile", "notetypes", "apkg", "sheet", "render", "media", "parallel",
                 "digests", "cloze_numbers", "identity", "retired", "one_package", "mathml", "allocator", "revision"},
    "one_package": {"apkg", "lockfile"},
    "retired": {"apkg", "cards", "lockfile"},
    "cloze_numbers": {"cloze"},
    "cards": {"cloze", "render", "media", "notetypes", "tex", "sanitize", "mathml"},
    "notetypes": {"revision"},
    "lint": {"cards", "cloze", "render"},
    "apkg": {"cards", "notetypes", "lockfile", "collection_cache", "digests", "revision"},
    "collection_cache": {"digests"},
    "sheet": {"cards", "render", "cloze", "media", "mathml"},
    "mathml": {"tex", "typeset_cache", "digests"},
    "typeset_cache": {"digests"},
    "render": {"cloze", "sanitize", "tex"},
    "media": {"sanitize"},
    "errors": {"model"},
    "model": {"cloze"},
    "loader": {"cloze"},
    "cloze": {"tex"},
    "sync.command": {"pipeline", "errors", "cards", "sync", "sync.plan", "sync.diff", "sync.anki_backend"},
    "sync.plan": {"cards", "notetypes", "retired"},
    "sync.diff": {"cards", "sync.plan"},
    "sync.anki_backend": {"cards", "apkg", "sync.plan"},
}
ONLY_IMPORTER = {"click": "cli", "yaml": "loader", "genanki": "apkg", "markdown": "render", "latex2mathml": "mathml",
                 "anki": "sync.anki_backend"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module.startswith("ankigen"):
                names.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "__version__")
    return names


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name below ``ankigen`` (a package's __init__ by the package's)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts == ("__init__",):
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def test_modules_import_only_downstream() -> None:
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "ankigen" and "." in name:
                parts = name.split(".")[1:]
                # the longest prefix that is a module: `ankigen.sync.plan.Plan` is sync.plan
                target = next((".".join(parts[:n]) for n in range(len(parts), 0, -1)
                               if ".".join(parts[:n]) in modules), None)
                if target is None:
                    continue  # a name from ankigen/__init__ (the version)
                if target not in FOUNDATION | ALLOWED.get(module, set()) | {module}:
                    wrong.append(f"{module} imports {target}")
            elif top in ONLY_IMPORTER:
                owners = ONLY_IMPORTER[top]
                if module not in ({owners} if isinstance(owners, str) else owners):
                    wrong.append(f"{module} imports {top}")
    assert not wrong


def test_the_core_never_imports_sync() -> None:
    core = [module for module in _modules() if not module.startswith("sync") and module != "cli"]
    assert core and not [module for module in core if any(t.startswith("sync") for t in ALLOWED.get(module, ()))]
