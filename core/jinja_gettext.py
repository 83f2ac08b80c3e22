"""Jinja's `_()` bound to the request's catalogue once, not looked up again for every string.

Flask-Babel's callables resolve the domain, the locale and the catalogue on each call (about
ten context-local lookups); the search page calls `_()` some fifty times. These keep the
catalogue on Flask-Babel's own per-request namespace and look it up again only when the locale
object changes (`force_locale` swaps it to write a mail in the patient's language).
"""

from __future__ import annotations

from flask import Flask, g
from flask_babel import get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


def request_translations():
    """The request's message catalogue (Flask-Babel's, kept for the request)."""
    ctx = g.get("_flask_babel") if g else None
    if ctx is None:
        return get_translations()
    cached = getattr(ctx, "wizyta_translations", None)
    if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
        return cached[1]
    translations = get_translations()  # sets ctx.babel_locale when it was not chosen yet
    ctx.wizyta_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def _formatted(eval_ctx: EvalContext, text: str, variables: dict) -> str:
    # Jinja's newstyle rule: always a format string, Markup (escaping the values) in HTML
    # the msgid and its translation are ours, as in Jinja's own wrapper; the values are escaped
    return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704


@pass_eval_context
def _gettext(eval_ctx: EvalContext, string: str, /, **variables) -> str:
    return _formatted(eval_ctx, request_translations().ugettext(string), variables)


@pass_eval_context
def _ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, request_translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables) -> str:
    variables.setdefault("context", context)
    return _formatted(eval_ctx, request_translations().upgettext(context, string), variables)


@pass_eval_context
def _npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = request_translations().unpgettext(context, singular, plural, num)
    return _formatted(eval_ctx, text, variables)


def install(app: Flask) -> None:
    """Replace the template gettext callables Flask-Babel installed (after `babel.init_app`).

    Jinja's own newstyle callables go through three `Context.call`s for each `_()` (the `_`
    alias, the formatting wrapper, the function); these do the same formatting in one.
    """
    env = app.jinja_env
    env.install_gettext_callables(  # sets newstyle_gettext, which {% trans %} compiles by
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )

    @app.context_processor
    def _request_gettext() -> dict:
        # each render's `_()` holds the request's catalogue, found once per render instead
        # of once per string (imported macros keep the global one above)
        return {"_": _bound_gettext(request_translations())}


def _bound_gettext(translations):
    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables) -> str:
        return _formatted(eval_ctx, translations.ugettext(string), variables)

    return gettext
