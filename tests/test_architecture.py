"""Imports go one way: cli -> pipeline -> stages -> model/errors/ids/atomic; only cli imports click."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ankigen"
# Who may import whom (ankigen modules only). A module not listed may import only the foundation.
FOUNDATION = {"model", "errors", "ids", "atomic"}
ALLOWED = {
    "cli": {"pipeline", "errors", "lockfile", "watch", "fix_ids"},
    "fix_ids": {"loader", "pipeline"},
    "__main__": {"cli"},
    "watch": {"pipeline"},
    "pipeline": {"loader", "cards", "lint", "lockfile", "notetypes", "apkg", "sheet", "render", "media", "parallel",
                 "digests", "cloze_numbers", "identity", "retired"},
    "retired": {"apkg", "cards", "lockfile"},
    "cloze_numbers": {"cloze"},
    "cards": {"cloze", "render", "media", "notetypes", "tex", "sanitize", "mathml"},
    "lint": {"cards", "cloze", "render"},
    "apkg": {"cards", "notetypes", "lockfile"},
    "sheet": {"cards", "render", "cloze", "media", "mathml"},
    "mathml": {"tex"},
    "render": {"cloze", "sanitize", "tex"},
    "media": {"sanitize"},
    "errors": {"model"},
    "model": {"cloze"},
    "loader": {"cloze"},
    "cloze": {"tex"},
}
ONLY_IMPORTER = {"click": "cli", "yaml": "loader", "genanki": "apkg", "markdown": "render", "latex2mathml": "mathml"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "ankigen":
                names.update(f"ankigen.{alias.name}" for alias in node.names if alias.name != "__version__")
    return names


def test_modules_import_only_downstream() -> None:
    wrong = []
    for path in sorted(PACKAGE.glob("*.py")):
        module = path.stem
        if module == "__init__":
            continue
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "ankigen" and "." in name:
                target = name.split(".")[1]
                if target not in FOUNDATION | ALLOWED.get(module, set()) | {module}:
                    wrong.append(f"{module} imports {target}")
            elif top in ONLY_IMPORTER:
                owners = ONLY_IMPORTER[top]
                if module not in ({owners} if isinstance(owners, str) else owners):
                    wrong.append(f"{module} imports {top}")
    assert not wrong
