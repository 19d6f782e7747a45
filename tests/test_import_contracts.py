"""The import contracts in pyproject.toml hold, and each one catches the import it forbids."""

from __future__ import annotations

import copy
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
TYPES = {
    "acyclic_siblings": AcyclicSiblingsContract,
    "forbidden": ForbiddenContract,
    "independence": IndependenceContract,
    "layers": LayersContract,
}
# One import each contract must refuse: (contract id, importer, imported).
VIOLATIONS = [
    ("layers", "sendbot.core.outbox", "sendbot.app"),
    ("core-no-front-ends", "sendbot.core.dialogue", "sendbot.adapters.telegram.delivery"),
    ("core-no-front-ends", "sendbot.core.flows.contact", "telegram"),
    ("kb-no-core", "sendbot.kb.check", "sendbot.core.formatting"),
    ("storage-no-front-ends", "sendbot.storage.db", "sendbot.cli.context"),
    ("services-no-chat", "sendbot.core.answers.questions", "sendbot.core.flows.browse"),
    ("services-no-chat", "sendbot.core.escalation.service.parents", "sendbot.core.dialogue"),
    ("adapters-independent", "sendbot.adapters.terminal", "sendbot.adapters.web.render"),
    ("cli-verbs", "sendbot.cli.cases", "sendbot.cli.officers"),
    ("cli-verbs", "sendbot.cli.context", "sendbot.cli.db"),
    ("no-cycles", "sendbot.core.outbox", "sendbot.core.jobs.registry"),
]


@cache
def configuration() -> dict[str, Any]:
    """The [tool.importlinter] table, as import-linter reads it."""
    return read_configuration(str(PYPROJECT))


@cache
def graph() -> grimp.ImportGraph:
    """The import graph of sendbot, lazy imports inside functions included."""
    session = configuration()["session_options"]
    return grimp.build_graph(
        *session["root_packages"],
        include_external_packages=session.get("include_external_packages") in (True, "True"),
        cache_dir=None,
    )


def check(contract_id: str, against: grimp.ImportGraph) -> bool:
    """Whether the contract with this id is kept on the graph."""
    config = configuration()
    (options,) = [c for c in config["contracts_options"] if c["id"] == contract_id]
    kind = TYPES[options["type"]]
    contract = kind(options["name"], config["session_options"], options)
    return bool(contract.check(against, verbose=False).kept)


def test_lint_imports_passes() -> None:
    """The check CI runs: `lint-imports` over the whole package, every contract kept."""
    command = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(command), "--config", str(PYPROJECT), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_contract_is_checked_here() -> None:
    ids = {c["id"] for c in configuration()["contracts_options"]}
    assert ids == {contract for contract, _, _ in VIOLATIONS}


@pytest.mark.parametrize(("contract_id", "importer", "imported"), VIOLATIONS)
def test_each_contract_breaks_on_the_import_it_forbids(
    contract_id: str, importer: str, imported: str
) -> None:
    assert check(contract_id, graph())
    broken = copy.deepcopy(graph())
    broken.add_import(importer=importer, imported=imported)
    assert not check(contract_id, broken)
