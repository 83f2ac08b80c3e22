"""The desk's schedule pages: weekly schedules, leave and holidays with a preview of what
they remove, generating slots with a preview, blocking single slots, and the visits a
change left behind (move or cancel them, every patient mailed in one action)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from core import audit
from core.htmx import render
from core.roles import role_required
from models.clinic import Facility, Schedule, ScheduleService, Service, Slot, StaffMember
from services import schedule_changes as changes
from services.affected_visits import affected_page
from services.booking import valid_id
from services.paging import page_number

from . import bp
from .common import DESK, arg_id, arg_page, facility_choices, me, staff_choices, today
from .forms import EndScheduleForm, ExceptionForm, GenerateForm, ReasonForm, ScheduleForm

PAGE_SIZE = 25


def _staff_back(default: str) -> str:
    """Where a slot action returns: a /staff/ page the form came from, else `default`."""
    target = request.form.get("next", "")
    if target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return default


@bp.get("/schedules")
@role_required(*DESK)
def schedules():
    staff_id, facility_id, page = arg_id("staff"), arg_id("facility"), arg_page()
    query = (
        Schedule.select(Schedule, StaffMember, Facility)
        .join(StaffMember, on=(Schedule.staff == StaffMember.id))
        .switch(Schedule)
        .join(Facility, on=(Schedule.facility == Facility.id))
    )
    if staff_id:
        query = query.where(Schedule.staff == staff_id)
    if facility_id:
        query = query.where(Schedule.facility == facility_id)
    rows = list(
        query.order_by(StaffMember.last_name, Schedule.weekday, Schedule.start_time, Schedule.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    return render(
        "staff/schedules.html",
        block="results",
        rows=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page=page,
        staff_id=staff_id,
        facility_id=facility_id,
        staff=staff_choices(with_inactive=True),
        facilities=facility_choices(),
    )


def _schedule_form() -> ScheduleForm:
    form = ScheduleForm()
    form.staff.choices = [(0, "—")] + [(m.id, m.display_name) for m in staff_choices()]
    form.facility.choices = [(0, "—")] + [(f.id, f.name) for f in facility_choices()]
    services = Service.select().where(Service.active).order_by(Service.name)
    form.services.choices = [(s.id, s.name) for s in services]
    return form


@bp.route("/schedules/new", methods=["GET", "POST"])
@role_required(*DESK)
def schedule_new():
    form = _schedule_form()
    if request.method == "GET":
        form.valid_from.data = form.valid_from.data or today()
        if arg_id("staff"):
            form.staff.data = arg_id("staff")
        return render("staff/schedule_new.html", form=form)
    if not form.validate_on_submit():
        return render("staff/schedule_new.html", form=form, status=422)
    data = changes.ScheduleData(
        staff_id=form.staff.data,
        facility_id=form.facility.data,
        weekday=form.weekday.data,
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        slot_minutes=form.slot_minutes.data,
        funding=form.funding.data,
        mode=form.mode.data,
        valid_from=form.valid_from.data,
        valid_to=form.valid_to.data,
        service_ids=list(form.services.data or []),
    )
    try:
        schedule = changes.create_schedule(me(), data)
    except changes.ScheduleInvalid as error:
        getattr(form, error.field, form.staff).errors = [error.message]
        return render("staff/schedule_new.html", form=form, status=422)
    flash(_("Zapisano grafik. Wygeneruj terminy, aby pacjenci mogli je rezerwować."), "success")
    return redirect(url_for("staff.schedule", schedule_id=schedule.id), 303)


def _schedule_or_404(schedule_id: int) -> Schedule:
    schedule = Schedule.get_or_none(Schedule.id == schedule_id)
    if schedule is None:
        abort(404)
    return schedule


@bp.route("/schedules/<int:schedule_id>", methods=["GET", "POST"])
@role_required(*DESK)
def schedule(schedule_id: int):
    item = _schedule_or_404(schedule_id)
    services = list(
        Service.select().join(ScheduleService).where(ScheduleService.schedule == item.id)
    )
    form = EndScheduleForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                left = changes.end_schedule(me(), item, form.valid_to.data)
            except changes.ScheduleInvalid as error:
                form.valid_to.errors = [error.message]
                status = 422
            else:
                if left:
                    flash(
                        _(
                            "Grafik zakończony. %(count)d wizyt zostało po dacie końca: przenieś "
                            "je albo odwołaj.",
                            count=len(left),
                        ),
                        "info",
                    )
                    return redirect(url_for("staff.affected", staff=item.staff_id), 303)
                flash(_("Grafik zakończony."), "success")
                return redirect(url_for("staff.schedule", schedule_id=item.id), 303)
        else:
            status = 422
    return render(
        "staff/schedule.html",
        status=status,
        item=item,
        services=services,
        form=form,
        staff=StaffMember.get_by_id(item.staff_id),
        facility=Facility.get_by_id(item.facility_id),
    )


@bp.route("/exceptions/new", methods=["GET", "POST"])
@role_required(*DESK)
def exception_new():
    form = ExceptionForm()
    form.staff.choices = [(0, _("cała przychodnia (święto)"))] + [
        (m.id, m.display_name) for m in staff_choices()
    ]
    if request.method == "GET":
        if arg_id("staff"):
            form.staff.data = arg_id("staff")
        return render("staff/exception_new.html", form=form, preview=None)
    if not form.validate_on_submit():
        return render("staff/exception_new.html", form=form, preview=None, status=422)
    staff_id = form.staff.data or None
    try:
        if request.form.get("action") != "save":
            preview = changes.preview_exception(staff_id, form.date_from.data, form.date_to.data)
            return render("staff/exception_new.html", form=form, preview=preview)
        _exception, visits = changes.add_exception(
            me(), staff_id, form.date_from.data, form.date_to.data, form.reason.data or ""
        )
    except changes.ScheduleInvalid as error:
        getattr(form, error.field, form.date_to).errors = [error.message]
        return render("staff/exception_new.html", form=form, preview=None, status=422)
    if visits:
        flash(
            _(
                "Zapisano. %(count)d wizyt wypada w tym czasie: przenieś je albo odwołaj — "
                "pacjenci dostaną e-mail.",
                count=len(visits),
            ),
            "info",
        )
        return redirect(
            url_for("staff.affected", staff=staff_id or "", reason=form.reason.data or ""), 303
        )
    flash(_("Zapisano. Żadna wizyta nie wypada w tym czasie."), "success")
    return redirect(url_for("staff.exception_new"), 303)


@bp.route("/slots/generate", methods=["GET", "POST"])
@role_required(*DESK)
def generate():
    preview = None
    if request.method == "GET":
        # a GET form (the preview is a bookmarkable query): no CSRF token to check
        form = GenerateForm(formdata=request.args or None, meta={"csrf": False})
        if request.args and form.validate():
            counts = changes.preview_generation(form.date_from.data, form.date_to.data)
            preview = changes.by_staff(counts)
        status = 422 if request.args and form.errors else 200
        return render("staff/generate.html", form=form, preview=preview, status=status)
    form = GenerateForm()
    if not form.validate_on_submit():
        return render("staff/generate.html", form=form, preview=None, status=422)
    result = changes.generate(me(), form.date_from.data, form.date_to.data)
    flash(
        _(
            "Utworzono %(created)d terminów, usunięto %(removed)d wolnych w dniach urlopów.",
            created=result["created"],
            removed=result["removed"],
        ),
        "success",
    )
    return redirect(url_for("staff.index", date=form.date_from.data.isoformat()), 303)


def _slot_or_404(slot_id: int) -> Slot:
    slot = Slot.get_or_none(Slot.id == slot_id)
    if slot is None:
        abort(404)
    return slot


@bp.post("/slots/<int:slot_id>/block")
@role_required(*DESK)
def slot_block(slot_id: int):
    changes.set_blocked(me(), _slot_or_404(slot_id), True)
    flash(_("Termin zablokowany."), "success")
    return redirect(_staff_back(url_for("staff.index")), 303)


@bp.post("/slots/<int:slot_id>/free")
@role_required(*DESK)
def slot_free(slot_id: int):
    changes.set_blocked(me(), _slot_or_404(slot_id), False)
    flash(_("Termin odblokowany."), "success")
    return redirect(_staff_back(url_for("staff.index")), 303)


@bp.route("/visits/affected", methods=["GET", "POST"])
@role_required(*DESK)
def affected():
    staff_id = arg_id("staff")
    form = ReasonForm()
    if request.method == "GET":
        form.reason.data = (request.args.get("reason") or "")[:200]
    results = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            ids = [n for n in (valid_id(v) for v in request.form.getlist("visit")) if n]
            action = request.form.get("action", "")
            if not ids:
                form.form_errors.append(_("Zaznacz co najmniej jedną wizytę."))
                status = 422
            else:
                results = changes.resolve(me(), ids, action, form.reason.data or "")
        else:
            status = 422
    page = affected_page(staff_id, page_number(request.args.get("page")))
    audit.record(
        "read.affected_visits",
        object_type="agenda",
        details=f"staff={staff_id} page={page.number}",
    )
    return render(
        "staff/affected.html",
        block="results",
        status=status,
        visits=page.items,
        page=page,
        reason=form.reason.data or "",
        results=results,
        form=form,
        staff_id=staff_id,
        staff=staff_choices(),
    )
