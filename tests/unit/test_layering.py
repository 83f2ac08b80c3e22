"""Dependencies point one way: blueprints -> services -> models, and core imports none of them.

Every module's imports are read with `ast` (also the ones inside functions), so a rule that
both the patient side and the staff side need cannot quietly live in a blueprint again.
CLI wiring in core may call services (the commands are thin wrappers around them).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# core modules that wire CLI commands to services: allowed to import services (never blueprints)
CLI_WIRING = {"core/cli.py", "core/demo.py", "core/demo_medical.py"}

# package -> packages it must never import
FORBIDDEN = {
    "services": {"blueprints"},
    "models": {"blueprints", "services"},
    "core": {"blueprints", "services"},
}


def _imports(path: Path, root: Path) -> set[str]:
    """Top-level package names a module imports (relative imports resolve to its own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    own = path.relative_to(root).parts[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.add(own)
            elif node.module:
                found.add(node.module.split(".")[0])
    return found


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            banned = forbidden - {"services"} if rel in CLI_WIRING else forbidden
            for name in sorted(_imports(path, root) & banned):
                problems.append(f"{rel} imports {name}")
    return problems


def test_imports_point_one_way():
    assert _violations() == []


def test_the_check_sees_a_wrong_import(tmp_path):
    """The test itself would notice a service importing a blueprint (inside a function too)."""
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "bad.py").write_text(
        "def f():\n    from blueprints.slots import bp\n    return bp\n", encoding="utf-8"
    )
    for package in ("models", "core"):
        (tmp_path / package).mkdir()
    (tmp_path / "core" / "cli.py").write_text("from services import booking\n", encoding="utf-8")
    (tmp_path / "core" / "mail.py").write_text("from services import booking\n", encoding="utf-8")
    (tmp_path / "models" / "x.py").write_text("from . import base\n", encoding="utf-8")
    assert _violations(tmp_path) == [
        "services/bad.py imports blueprints",
        "core/mail.py imports services",
    ]


def test_every_package_is_checked():
    for package in FORBIDDEN:
        assert any((ROOT / package).rglob("*.py")), package
    assert (ROOT / "services" / "booking.py").exists()
    assert not (ROOT / "blueprints" / "staff" / "slot_generation.py").exists()
