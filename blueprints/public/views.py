"""Home page, language switch and the cookie notice; all work without JavaScript."""

from __future__ import annotations

from flask import make_response, redirect, request

from core.extensions import LANG_COOKIE, SUPPORTED_LOCALES
from core.htmx import render
from core.security import safe_next
from models.clinic import Facility, Service, Specialty

from . import bp

ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
def home():
    facilities = Facility.select().where(Facility.active).order_by(Facility.name)
    specialties = Specialty.select().order_by(Specialty.name)
    service_count = Service.select().where(Service.active).count()
    return render(
        "public/home.html",
        facilities=facilities,
        specialties=specialties,
        service_count=service_count,
    )


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    response = make_response(redirect(safe_next(request.form.get("next")), 303))
    if lang in SUPPORTED_LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=ONE_YEAR,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.post("/cookies/accept")
def accept_cookie_notice():
    response = make_response(redirect(safe_next(request.form.get("next")), 303))
    response.set_cookie(
        "cookie_notice",
        "1",
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


@bp.get("/help", endpoint="help")
def help_page():
    """Pomoc: how to register, log in, book, change and cancel; what messages mean; cookies."""
    return render("public/help.html")
