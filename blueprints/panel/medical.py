"""Panel sections of what the clinic recorded: vaccinations, referrals (with the way to
book a visit from one) and the doctor's recommendations from finished visits."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import lazy_gettext as _l

from core import audit
from core.timeutil import local_today
from services import medical_records as records

from . import bp
from .common import Listing, filters, list_page, patient, refuse

VACCINATION_KINDS = ("done", "planned")
VACCINATIONS = Listing(
    "vaccinations", _l("Szczepienia"), _l("Nazwa szczepionki"),
    _l("Brak szczepień spełniających kryteria."),
    {"done": _l("wykonane"), "planned": _l("zaplanowane")}, _l("Stan"),
)  # fmt: skip
REFERRALS = Listing(
    "referrals", _l("Skierowania"), _l("Cel skierowania (poradnia lub badanie)"),
    _l("Brak skierowań spełniających kryteria."),
)  # fmt: skip
RECOMMENDATIONS = Listing(
    "recommendations", _l("Zalecenia lekarza"), _l("Szukaj w zaleceniach"),
    _l("Brak zaleceń. Pojawią się tu po zakończonych wizytach."), dates=False,
)  # fmt: skip


@bp.route("/vaccinations")
def vaccinations():
    person = patient()
    found = filters(VACCINATION_KINDS)
    page = records.vaccinations(person, found) if not found.errors else None
    audit.read("vaccinations", person.id)
    return list_page(VACCINATIONS, found, page=page, person=person)


@bp.route("/referrals")
def referrals():
    person = patient()
    found = filters()
    page = records.referrals(person, found) if not found.errors else None
    audit.read("referrals", person.id)
    return list_page(REFERRALS, found, page=page, person=person, today=local_today())


@bp.route("/referrals/<int:referral_id>/book")
def book_from_referral(referral_id: int):
    """The slot search filtered for the referral; the code travels to the booking step."""
    person = patient()
    referral = records.referral_for(person, referral_id)
    if referral is None:
        refuse("referral", referral_id)
    audit.read("referral", person.id, "referral", referral.id)
    params: dict[str, object] = {"referral_code": referral.access_code}
    if referral.service_id:
        params["service"] = referral.service_id
    elif referral.specialty_id:
        params["specialty"] = referral.specialty_id
    return redirect(url_for("slots.search", **params), 303)


@bp.route("/recommendations")
def recommendations():
    person = patient()
    found = filters()
    page = records.recommendations(person, found) if not found.errors else None
    audit.read("recommendations", person.id)
    return list_page(RECOMMENDATIONS, found, page=page, person=person)
