"""Template layout rules: every page extends one of templates/layouts/, every template that is
not a page (an include) is named `_name.html`, and the layouts give private pages their
history guard, their problem box and, for staff, the staff menu."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.staff_accounts import create_staff_account
from tests import factories
from tests.conftest import csrf_token

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LAYOUTS = {"layouts/public.html", "layouts/patient.html", "layouts/staff.html"}
INCLUDED = re.compile(r"""{%-?\s*include\s+["']([^"']+)["']""")
EXTENDS = re.compile(r"""{%-?\s*extends\s+["']([^"']+)["']""")


def _templates() -> dict[str, str]:
    return {
        p.relative_to(TEMPLATES).as_posix(): p.read_text(encoding="utf-8")
        for p in TEMPLATES.rglob("*.html")
    }


def test_pages_extend_a_layout_and_includes_are_named_with_an_underscore():
    templates = _templates()
    included = {name for text in templates.values() for name in INCLUDED.findall(text)}
    wrong = []
    for name, text in templates.items():
        if name == "base.html" or name.startswith(("macros/", "layouts/")):
            continue
        partial = Path(name).name.startswith("_")
        if name in included and not partial:
            wrong.append(f"{name}: included, so it must be named _{Path(name).name}")
        if partial and EXTENDS.search(text):
            wrong.append(f"{name}: a page, so it must not start with _")
        if not partial and (EXTENDS.findall(text) or [None])[0] not in LAYOUTS:
            wrong.append(f"{name}: a page must extend one of {sorted(LAYOUTS)}")
    assert not wrong, "\n".join(wrong)


def test_layouts_extend_base():
    templates = _templates()
    for name in LAYOUTS:
        assert EXTENDS.findall(templates[name]) == ["base.html"], name


def _login(client, login: str) -> None:
    data = {
        "login": login,
        "password": factories.PASSWORD,
        "csrf_token": csrf_token(client, "/login"),
    }
    assert client.post("/login", data=data).status_code == 303


def test_patient_page_is_kept_out_of_the_history_cache(client, ctx):
    factories.account(login="pacjent")
    _login(client, "pacjent")
    page = client.get("/account").get_data(as_text=True)
    assert re.search(r'<div hx-history="false">\s*<h1>Moje konto</h1>', page)
    public = client.get("/help").get_data(as_text=True)
    assert 'hx-history="false"' not in public


@pytest.mark.parametrize(
    ("role", "sees_admin"), [("registrar", False), ("doctor", False), ("admin", True)]
)
def test_staff_menu_links_only_to_the_pages_the_role_may_open(client, ctx, role, sees_admin):
    create_staff_account("osoba", "osoba@example.com", factories.PASSWORD, role)
    _login(client, "osoba")
    page = client.get("/staff/").get_data(as_text=True)
    menu = re.search(
        r'<nav class="wrap main-nav" aria-label="Menu personelu">(.*?)</nav>', page, re.S
    )
    assert menu, "the staff layout shows the staff menu"
    assert 'href="/staff/" aria-current="page"' in menu.group(1)
    assert ('href="/staff/admin"' in menu.group(1)) is sees_admin
    assert "Panel pacjenta" not in menu.group(1)
    assert 'hx-history="false"' in page
