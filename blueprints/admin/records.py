"""Localities (one by hand, or the TERYT SIMC file), IP blocks and the audit log with its
CSV export. Rules: services.localities, services.ip_blocks, services.audit_query."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from core import audit
from core.htmx import render
from models.clinic import Locality
from services import audit_query, ip_blocks
from services import localities as locality_rules
from services.paging import page_number, paginate

from . import bp
from .forms import IpForm, LocalityForm, LocalityImportForm

SIMC_MAX_BYTES = 40 * 1024 * 1024  # the whole SIMC file is about 10 MB


# --- localities ------------------------------------------------------------------------------


def _localities_page(form=None, import_form=None, status: int = 200):
    query_text = locality_rules.clean_query(request.args.get("q"))
    number = page_number(request.args.get("page"))
    if query_text:
        found = locality_rules.search_localities(query_text, limit=50)
        page = paginate(
            Locality.select()
            .where(Locality.id.in_([x.id for x in found] or [0]))
            .order_by(Locality.name),
            number,
        )
    else:
        page = paginate(Locality.select().order_by(Locality.id.desc()), number)
    return render(
        "admin/localities.html",
        block="results",
        status=status,
        page=page,
        filters={"q": query_text},
        form=form or LocalityForm(),
        import_form=import_form or LocalityImportForm(),
    )


@bp.get("/localities")
def localities():
    return _localities_page()


@bp.post("/localities")
def locality_add():
    form = LocalityForm()
    if form.validate_on_submit():
        try:
            made = locality_rules.add_locality(
                form.name.data, form.commune.data, form.county.data or "", form.voivodeship.data
            )
        except locality_rules.LocalityExists:
            form.name.errors.append(_("Ta miejscowość już jest w słowniku."))
        else:
            audit.staff_action(
                "admin.locality.added",
                object_type="locality",
                object_id=made.id,
                details=made.label,
            )
            flash(_("Dodano miejscowość: %(name)s.", name=made.label), "success")
            return redirect(url_for("admin.localities"), 303)
    return _localities_page(form=form, status=422)


@bp.post("/localities/import")
def locality_import():
    """The SIMC file from eteryt.stat.gov.pl (CSV); its own size limit on its own route."""
    request.max_content_length = SIMC_MAX_BYTES
    form = LocalityImportForm()
    upload = request.files.get("simc")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        form.simc.errors.append(_("Wybierz plik SIMC (CSV)."))
        return _localities_page(import_form=form, status=422)
    terc_upload = request.files.get("terc")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "simc.csv"
        upload.save(path)
        terc = None
        if terc_upload is not None and terc_upload.filename:
            terc = Path(folder) / "terc.csv"
            terc_upload.save(terc)
        try:
            created, updated = locality_rules.import_localities(path, terc)
        except locality_rules.LocalityImportError as error:
            form.simc.errors.append(str(error).replace(str(path), upload.filename[:100]))
            return _localities_page(import_form=form, status=422)
    audit.staff_action(
        "admin.locality.imported", object_type="locality", details=f"+{created} ~{updated}"
    )
    flash(
        _(
            "Zaimportowano: nowych %(created)s, zmienionych %(updated)s.",
            created=created,
            updated=updated,
        ),
        "success",
    )
    return redirect(url_for("admin.localities"), 303)


# --- IP blocks -------------------------------------------------------------------------------


@bp.get("/ip-blocks")
def ip_blocks_list():
    everything = request.args.get("all") == "1"
    page = ip_blocks.listing(page_number(request.args.get("page")), everything=everything)
    return render(
        "admin/ip_blocks.html",
        page=page,
        filters={"all": "1"} if everything else {},
        form=IpForm(),
    )


@bp.post("/ip-blocks/lift")
def ip_block_lift():
    form = IpForm()
    if not form.validate_on_submit():
        abort(422)
    if ip_blocks.lift(form.ip.data):
        flash(_("Zdjęto blokadę adresu %(ip)s.", ip=form.ip.data), "success")
    else:
        flash(_("Ten adres nie jest zablokowany."), "info")
    return redirect(url_for("admin.ip_blocks_list"), 303)


# --- audit log -------------------------------------------------------------------------------


def _date(name: str, errors: dict) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Podaj datę w formacie RRRR-MM-DD.")
        return None


def _audit_filter() -> tuple[audit_query.AuditFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    whose_raw = (request.args.get("whose") or "").strip()
    whose = None
    if whose_raw:
        if whose_raw.isdigit() and len(whose_raw) < 12:
            whose = int(whose_raw)
        else:
            errors["whose"] = _("Podaj numer pacjenta (liczbę).")
    who = (request.args.get("who") or "").strip()[:64]
    what = (request.args.get("what") or "").strip()[:60]
    date_from, date_to = _date("date_from", errors), _date("date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = _("Data „do” jest wcześniejsza niż data „od”.")
    return audit_query.AuditFilter(who, whose, what, date_from, date_to), errors


@bp.get("/audit")
def audit_log():
    filters, errors = _audit_filter()
    page = audit_query.page(filters, page_number(request.args.get("page")))
    return render(
        "admin/audit.html",
        block="results",
        status=422 if errors else 200,
        page=page if not errors else None,
        filters=filters,
        params=filters.as_params(),
        errors=errors,
    )


@bp.get("/audit.csv")
def audit_csv():
    filters, errors = _audit_filter()
    if errors:
        abort(422)
    audit.staff_action(
        "admin.audit.exported", object_type="audit_event", details=str(filters.as_params())[:400]
    )
    body = "".join(audit_query.csv_lines(filters))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="dziennik-zdarzen.csv"'
    return response
