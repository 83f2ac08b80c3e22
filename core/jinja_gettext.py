"""Jinja's `_()` bound to the request's catalogue once, not looked up again for every string.

Flask-Babel's callables resolve the domain, the locale and the catalogue on each call (about
ten context-local lookups); the search page calls `_()` some fifty times. These keep the
catalogue on Flask-Babel's own per-request namespace and look it up again only when the locale
object changes (`force_locale` swaps it to write a mail in the patient's language).
"""

from __future__ import annotations

from flask import Flask, g
from flask_babel import get_translations


def _translations():
    ctx = g.get("_flask_babel") if g else None
    if ctx is None:
        return get_translations()
    cached = getattr(ctx, "wizyta_translations", None)
    if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
        return cached[1]
    translations = get_translations()  # sets ctx.babel_locale when it was not chosen yet
    ctx.wizyta_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def install(app: Flask) -> None:
    """Replace the template gettext callables Flask-Babel installed (after `babel.init_app`)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
