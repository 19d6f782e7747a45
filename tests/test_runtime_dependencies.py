"""The program imports, at module level, only packages the plain install brings.

`pip install -e .` (the README's quick start) installs `[project.dependencies]`, not the
test extra: a module-level import of a test-only package (bm25s, say) breaks
`sendbot chat` on a fresh install while every test still passes.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sendbot"


def runtime_distributions() -> set[str]:
    """The distributions `[project.dependencies]` names, normalised."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {Requirement(line).name.lower().replace("_", "-") for line in project["dependencies"]}


def module_level_imports(path: Path) -> set[str]:
    """The top-level names a module imports outside any function (so, when imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_level_import_is_a_runtime_dependency() -> None:
    allowed = runtime_distributions()
    owners = packages_distributions()
    missing: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in module_level_imports(path):
            if name == "sendbot" or name in sys.stdlib_module_names:
                continue
            distributions = {d.lower().replace("_", "-") for d in owners.get(name, [name])}
            if not distributions & allowed:
                missing.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert missing == {}
