"""A block that htmx gets alone (core.htmx.render(..., block=...)) is rendered without the
rest of its template: macros imported (or defined, or `set`s made) at the template's top are
not there, and the fragment
fails with "'active_button' is undefined" — a 500 for every admin list filtered with
JavaScript on, while the full page worked. Every such block imports what it uses itself."""

from __future__ import annotations

import ast
from pathlib import Path

from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[2]
# render() calls whose template or block is a variable, with the pairs they can take
DYNAMIC = {
    "blueprints/slots/search.py": [
        ("slots/search.html", "search_region"),
        ("slots/search.html", "search_more"),
        ("panel/change.html", "search_region"),
        ("panel/change.html", "search_more"),
    ],
    "blueprints/auth/sign_up.py": [("auth/register.html", "field_*")],  # one per field
}


def _fragment_calls() -> tuple[set[tuple[str, str]], set[str]]:
    pairs, dynamic = set(), set()
    for folder in ("blueprints", "core", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "render"):
                    continue
                block = next((k.value for k in node.keywords if k.arg == "block"), None)
                if block is None:
                    continue
                template = node.args[0] if node.args else None
                if isinstance(template, ast.Constant) and isinstance(block, ast.Constant):
                    pairs.add((template.value, block.value))
                else:
                    dynamic.add(str(path.relative_to(ROOT)))
    return pairs, dynamic


def _imported(body) -> set[str]:
    """Names a part of a template defines for what follows: imports, `set`s and macros."""
    names = set()
    for node in body:
        if isinstance(node, nodes.FromImport):
            names.update(n[1] if isinstance(n, tuple) else n for n in node.names)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.Macro):
            names.add(node.name)
        elif isinstance(node, nodes.Assign | nodes.AssignBlock):
            names.update(n.name for n in node.target.find_all(nodes.Name))
            if isinstance(node.target, nodes.Name):
                names.add(node.target.name)
    return names


def _parse(template: str) -> nodes.Template:
    environment = Environment(extensions=["jinja2.ext.do", "jinja2.ext.i18n"])
    return environment.parse((ROOT / "templates" / template).read_text())


def _undefined_in_fragment(template: str, block: str) -> set[str]:
    tree = _parse(template)
    top = _imported(tree.body)
    found = [b for b in tree.find_all(nodes.Block) if b.name == block]
    assert found, f"{template} has no block {block}"
    inside = found[0]
    own = _imported(
        inside.find_all(
            (nodes.FromImport, nodes.Import, nodes.Macro, nodes.Assign, nodes.AssignBlock)
        )
    )
    used = {n.name for n in inside.find_all(nodes.Name) if n.ctx == "load"}
    return (used & top) - own


def _expanded(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """("auth/register.html", "field_*"): every block of that template named so."""
    out = set()
    for template, block in pairs:
        if block.endswith("*"):
            names = {b.name for b in _parse(template).find_all(nodes.Block)}
            out |= {(template, n) for n in names if n.startswith(block[:-1])}
        else:
            out.add((template, block))
    return out


def test_every_fragment_imports_the_macros_it_uses():
    pairs, dynamic = _fragment_calls()
    assert dynamic == set(DYNAMIC), "list the pairs a new dynamic render() call can take"
    pairs = _expanded(pairs | {pair for listed in DYNAMIC.values() for pair in listed})
    assert len(pairs) >= 20
    missing = {
        f"{template} block {block}: {', '.join(sorted(names))}"
        for template, block in sorted(pairs)
        if (names := _undefined_in_fragment(template, block))
    }
    assert not missing, "import these inside the block:\n" + "\n".join(sorted(missing))
