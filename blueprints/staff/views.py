"""The agenda ("terminarz"): a day or a week of slots per facility and per doctor. `/staff/`
is today; the desk sees everyone's, a doctor only their own (services.agenda.agenda_staff)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, request
from flask_login import current_user

from core import audit
from core.htmx import render
from core.roles import role_required
from services import agenda

from . import bp
from .common import (
    ALL_STAFF,
    arg_date,
    arg_id,
    arg_page,
    facility_choices,
    is_desk,
    staff_choices,
    today,
)


@bp.get("/")
@role_required(*ALL_STAFF)
def index():
    day = arg_date("date", today())
    week = request.args.get("view") == "week"
    facility_id = arg_id("facility")
    try:
        staff_id = agenda.agenda_staff(
            current_user.role, current_user.staff_member_id, arg_id("staff")
        )
    except agenda.NotYourAgenda:
        abort(404)
    start = day - timedelta(days=day.weekday()) if week else day
    end = start + timedelta(days=6 if week else 0)
    page = arg_page()
    rows, has_more = agenda.agenda_rows(start, end, staff_id, facility_id, page)
    audit.record(
        "read.agenda",
        object_type="agenda",
        details=f"{start}..{end} staff={staff_id} facility={facility_id} page={page}",
    )
    step = timedelta(days=7 if week else 1)
    return render(
        "staff/agenda.html",
        block="results",
        rows=rows,
        has_more=has_more,
        page=page,
        day=day,
        start=start,
        end=end,
        week=week,
        prev_day=day - step,
        next_day=day + step,
        staff_id=staff_id,
        facility_id=facility_id,
        staff=staff_choices() if is_desk() else [],
        facilities=facility_choices(),
        desk=is_desk(),
    )
