"""The demo clinic's data for `seed-demo` (core.demo): facilities, specialties and their
services, staff names, consent texts, the demo patients and the family with children."""

from __future__ import annotations

from datetime import date

FACILITIES = [
    (
        "Przychodnia Wizyta — Centrum",
        "ul. Marszałkowska 84",
        "00-514",
        "Warszawa",
        "+48 22 111 22 33",
    ),
    ("Przychodnia Wizyta — Mokotów", "ul. Puławska 150", "02-624", "Warszawa", "+48 22 111 22 44"),
    ("Filia Piaseczno", "ul. Kościuszki 12", "05-500", "Piaseczno", "+48 22 111 22 55"),
]


# specialty -> [(service, minutes, nfz, private, remote, price, referral, min age, max age)]
# Prices are those of a Warsaw private clinic; an NFZ visit to a specialist needs an
# e-referral (kardiolog, dermatolog, okulista, ortopeda), the GP, the paediatrician and the
# gynaecologist do not. Children's services are on paediatric schedules only.
ServiceRow = tuple[str, int, bool, bool, bool, str | None, bool, int | None, int | None]


SPECIALTIES: dict[str, list[ServiceRow]] = {
    "Internista": [
        ("Porada internistyczna", 15, True, True, False, "180.00", False, 18, None),
        ("Teleporada internistyczna", 15, True, False, True, None, False, 18, None),
        ("Wizyta kontrolna — wyniki badań", 15, True, False, False, None, False, 18, None),
    ],
    "Pediatra": [
        ("Porada pediatryczna — dziecko chore", 15, True, True, False, "200.00", False, 0, 17),
        ("Bilans zdrowego dziecka", 30, True, False, False, None, False, 0, 17),
        ("Szczepienie obowiązkowe dziecka", 15, True, False, False, None, False, 0, 17),
        ("Teleporada pediatryczna", 15, True, False, True, None, False, 0, 17),
    ],
    "Kardiolog": [
        ("Konsultacja kardiologiczna", 30, True, True, False, "280.00", True, 18, None),
        ("Echo serca z opisem", 30, False, True, False, "350.00", False, 18, None),
    ],
    "Dermatolog": [
        ("Konsultacja dermatologiczna", 15, True, True, False, "250.00", True, None, None),
        ("Dermatoskopia znamion", 30, False, True, False, "300.00", False, None, None),
    ],
    "Okulista": [
        ("Konsultacja okulistyczna", 15, True, True, False, "230.00", True, None, None),
        ("Dobór okularów", 15, False, True, False, "150.00", False, None, None),
    ],
    "Ginekolog": [
        ("Konsultacja ginekologiczna", 30, True, True, False, "260.00", False, None, None),
        ("Cytologia", 15, True, False, False, None, False, 25, 64),
        ("USG ginekologiczne", 30, False, True, False, "250.00", False, None, None),
    ],
    "Ortopeda": [
        ("Konsultacja ortopedyczna", 15, True, True, False, "270.00", True, None, None),
        ("Teleporada ortopedyczna", 15, False, True, True, "200.00", False, None, None),
    ],
    "Szczepienia": [
        ("Szczepienie przeciw grypie", 15, False, True, False, "120.00", False, None, None),
        ("Szczepienie przeciw COVID-19", 15, True, False, False, None, False, 12, None),
    ],
}


# first name and surname of the same gender (Polish surnames in -ski/-cki change with it)
STAFF_NAMES = [
    ("Anna", "Nowak"),
    ("Piotr", "Kowalski"),
    ("Katarzyna", "Wiśniewska"),
    ("Tomasz", "Wójcik"),
    ("Magdalena", "Kamińska"),
    ("Paweł", "Lewandowski"),
    ("Agnieszka", "Zielińska"),
    ("Marcin", "Szymański"),
    ("Joanna", "Woźniak"),
    ("Krzysztof", "Dąbrowski"),
    ("Ewa", "Kozłowska"),
    ("Michał", "Jankowski"),
    ("Monika", "Mazur"),
    ("Jakub", "Kwiatkowski"),
    ("Aleksandra", "Krawczyk"),
    ("Łukasz", "Piotrowski"),
    ("Barbara", "Grabowska"),
    ("Grzegorz", "Nowakowski"),
    ("Zofia", "Pawłowska"),
    ("Wojciech", "Michalski"),
    ("Małgorzata", "Król"),
    ("Andrzej", "Wieczorek"),
    ("Beata", "Jabłońska"),
    ("Rafał", "Wróbel"),
    ("Dorota", "Majewska"),
]


CONSENTS = [
    (
        "regulamin",
        "Regulamin e-Rejestracji",
        "Akceptuję regulamin e-Rejestracji i politykę prywatności.",
        True,
    ),
    (
        "rodo",
        "Przetwarzanie danych",
        "Wyrażam zgodę na przetwarzanie moich danych osobowych w celu rejestracji na wizyty.",
        True,
    ),
    ("sms", "Przypomnienia SMS", "Chcę otrzymywać przypomnienia o wizytach SMS-em.", False),
    (
        "newsletter",
        "Informacje o profilaktyce",
        "Chcę otrzymywać e-mailem informacje o programach profilaktycznych.",
        False,
    ),
]


DEMO_PATIENTS = [
    # login, first, last, pesel, birth date, sex
    ("anna.demo", "Anna", "Testowa", "85071512362", date(1985, 7, 15), "F"),
    ("jan.demo", "Jan", "Przykładowy", "79010145636", date(1979, 1, 1), "M"),
    ("maria.demo", "Maria", "Pokazowa", "92120578981", date(1992, 12, 5), "F"),
]


DEMO_PASSWORD = "demo-haslo-1234"


# A family: two parents sharing two children (sub-accounts without logins of their own).
DEMO_PARENTS = [
    # login, first, last, birth date, sex (the PESEL is made from the birth date)
    ("mama.demo", "Katarzyna", "Rodzinna", date(1988, 3, 4), "F"),
    ("tata.demo", "Piotr", "Rodzinny", date(1986, 11, 18), "M"),
]
