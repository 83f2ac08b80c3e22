"""One page of search results as HTML: Warsaw days → staff → runs of slots.

The one copy of this markup (templates/slots/_search_days.html calls it, for /slots, its
"Pokaż więcej" pages and the panel's "Zmień termin"). It is written here rather than as
nested Jinja loops because it repeats for every slot and run: as a template it was a third
of the search page's time, more than the database (issue 14). Every value is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from markupsafe import Markup, escape

from core.filters import local_time, long_date
from core.service_facts import service_facts
from models.clinic import Slot
from services.slot_search import DayGroup, SlotRun


def _offer(run: SlotRun) -> str:
    """What the run's slots are for: its services with their facts, else its specialty."""
    if run.services:
        return ", ".join(
            f"{escape(s.name)} "
            f'<span class="slot-facts">({escape(service_facts(s, run.funding))})</span>'
            for s in run.services
        )
    return str(escape(run.specialty.name)) if run.specialty else ""


def _remembered(kept: dict, key: object, make: Callable[[], str]) -> str:
    found = kept.get(key)
    if found is None:
        found = kept[key] = make()
    return found


def results_markup(
    days: Iterable[DayGroup],
    href: Callable[[Slot], str],
    action: str,
    *,
    continued_day: str = "",
    focus_first: bool = False,
) -> Markup:
    """Each slot links to `href(slot)`; `action` ("Rezerwuj", "Wybierz") is read before its
    time by a screen reader, and the doctor, place and day after it. `focus_first` puts
    focus on the first day's heading (the page "Pokaż więcej" appended); `continued_day`
    (ISO date) marks that day as continued from the previous page."""
    kinds = {
        "nfz": escape(_("NFZ")),
        "private": escape(_("prywatnie")),
        "in_person": escape(_("w placówce")),
        "remote": escape(_("teleporada")),
    }
    action = escape(action)
    out: list[str] = []
    # a page repeats its doctors, places and offers (thirty doctors of eight specialties on a
    # page without filters): each is escaped and written once per page
    names: dict[int, str] = {}
    places: dict[int, str] = {}
    offers: dict[tuple, str] = {}
    for index, day in enumerate(days):
        focus = ' tabindex="-1" autofocus' if index == 0 and focus_first else ""
        heading = escape(long_date(day.day))
        if index == 0 and continued_day == day.day.isoformat():
            heading = Markup(f"{heading} {escape(_('(cd.)'))}")  # noqa: S704 -- both escaped
        out.append(f'\n<div class="search-day">\n<h2{focus}>{heading}</h2>')
        short_day = day.day.strftime("%d.%m.%Y")
        for group in day.staff:
            staff = group.staff
            name = _remembered(names, staff.id, lambda s=staff: str(escape(s.display_name)))
            out.append(f"\n<h3>{name}</h3>")
            for run in group.runs:
                facility = run.facility
                place = _remembered(places, facility.id, lambda f=facility: str(escape(f.name)))
                offer_key = (
                    tuple(s.id for s in run.services),
                    run.funding,
                    run.specialty.id if run.specialty else None,
                )
                offer = _remembered(offers, offer_key, lambda r=run: _offer(r))
                out.append(
                    f'\n<p class="slot-kind">{place} · {offer} · '
                    f'{kinds[run.funding]}, {kinds[run.mode]}</p>\n<ul class="slot-times">'
                )
                tail = f'<span class="visually-hidden">, {name}, {place}, {short_day}</span>'
                out.extend(
                    f'\n<li><a href="{escape(href(slot))}"><span class="visually-hidden">'
                    f"{action} </span>{local_time(slot.starts_at)}{tail}</a></li>"
                    for slot in run.slots
                )
                out.append("\n</ul>")
        out.append("\n</div>")
    return Markup("".join(out))  # noqa: S704 -- every value above is escaped
