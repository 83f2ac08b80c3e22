"""One package per area of the app; each registers its blueprint here."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# (package, url_prefix); each package exposes `bp` and imports its views.
AREAS: list[tuple[str, str | None]] = [
    ("public", None),
    ("localities", None),
    ("auth", None),
    ("account", "/account"),
    ("slots", None),
    ("panel", "/panel"),
    ("staff", "/staff"),
    ("admin", "/admin"),
]


def register_blueprints(app: Flask) -> None:
    import core.login  # noqa: F401 - registers the user loader

    for name, prefix in AREAS:
        module = import_module(f"blueprints.{name}")
        app.register_blueprint(module.bp, url_prefix=prefix)
