"""Registration ("Utwórz konto") through the real routes, CSRF on, mail over real SMTP."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core import botcheck
from core.passwords import verify_password
from core.pesel import make as make_pesel
from models.accounts import Account, Consent, ConsentRecord
from models.base import db
from models.clinic import Locality
from models.mail import OutboxMessage
from models.patients import Patient
from tests import factories
from tests.conftest import csrf_token

PASSWORD = "stary zegar tyka w kuchni"
PESEL = make_pesel(date(1990, 5, 17), 123, female=True)


@pytest.fixture
def app_config(app_config, mailbox):
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "BOT_CHECK": False,
    }


@pytest.fixture
def clinic(app):
    """A locality dictionary and the clinic's consents (one required, one optional)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        return _clinic()


def _clinic():
    warszawa = Locality.create(
        name="Warszawa", commune="Warszawa", county="Warszawa", voivodeship="mazowieckie"
    )
    Locality.create(name="Nowa Wieś", commune="Kowala", voivodeship="mazowieckie", simc="0001")
    Locality.create(name="Nowa Wieś", commune="Przasnysz", voivodeship="mazowieckie", simc="0002")
    required = Consent.create(
        code="regulamin", title="Akceptuję regulamin", text="Treść regulaminu.", required=True
    )
    optional = Consent.create(code="sms", title="Przypomnienia SMS", text="Zgoda na SMS.")
    return {"locality": warszawa, "required": required, "optional": optional}


def registration_data(client, clinic, **over) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, "/register"),
        "first_name": "Anna",
        "last_name": "Nowak-Kowalska",
        "pesel": PESEL,
        "birth_date": "",
        "email": "anna@example.com",
        "phone": "600 100 200",
        "login": "anna.nowak",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "street": "ul. Długa",
        "house_number": "5A",
        "flat_number": "3",
        "postal_code": "00-950",
        "locality": "Warszawa",
        f"consent_{clinic['required'].id}": "y",
        "website": "",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def counts(app) -> tuple[int, int]:
    with app.app_context():
        db.connect(reuse_if_open=True)
        result = Patient.select().count(), Account.select().count()
        db.close()
    return result


def test_register_page_has_the_design_field_names(client, clinic):
    page = client.get("/register").get_data(as_text=True)
    names = "first_name last_name pesel birth_date email phone login password password_confirm"
    names += " street house_number flat_number postal_code locality no_pesel"
    for name in names.split(" "):
        assert f'name="{name}"' in page, name
    assert f'name="consent_{clinic["required"].id}"' in page
    assert 'list="locality-options"' in page and 'id="locality-options"' in page


def test_registration_creates_inactive_account_and_mails_a_working_activation_link(
    app, client, clinic, mailbox
):
    """ASVS V2.3.1 activation by a signed link received over SMTP; V2.4.1 Argon2id hash."""
    response = client.post("/register", data=registration_data(client, clinic))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/register/done")
    message = mailbox.wait_for(to="anna@example.com")
    link = next(u for u in mailbox.links(message) if "/activate/" in u)
    with app.app_context():
        db.connect(reuse_if_open=True)
        account = Account.get(Account.login == "anna.nowak")
        assert account.activated_at is None
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        patient = account.patient
        assert (patient.birth_date, patient.sex) == (date(1990, 5, 17), "F")
        assert patient.locality_id == clinic["locality"].id
        records = list(ConsentRecord.select().where(ConsentRecord.account == account))
        assert [(r.consent_id, r.granted, r.ip) for r in records] == [
            (clinic["required"].id, True, "127.0.0.1")
        ]
        db.close()
    path = link.replace("http://localhost", "")
    page = client.get(path)
    assert page.status_code == 200
    token = csrf_token(client, path)
    done = client.post(path, data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    login = client.post(
        "/login",
        data={"login": "anna.nowak", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert login.status_code == 303


def test_ticked_optional_consent_is_stored_with_its_version_time_and_ip(app, client, clinic):
    optional = clinic["optional"]
    data = registration_data(client, clinic, **{f"consent_{optional.id}": "y"})
    assert client.post("/register", data=data).status_code == 303
    with app.app_context():
        db.connect(reuse_if_open=True)
        records = {r.consent_id: r for r in ConsentRecord.select()}
        assert set(records) == {clinic["required"].id, optional.id}
        assert records[optional.id].consent.version == 1 and records[optional.id].at is not None
        db.close()


def test_each_invalid_field_is_marked_and_summarised_with_422(client, clinic):
    """ASVS V5.1.3 server-side validation; invalid fields get aria-invalid and a message."""
    data = registration_data(
        client,
        clinic,
        first_name="",
        pesel="44051401459",
        email="not-an-email",
        postal_code="00-95",
        password="short",
        password_confirm="other",
    )
    data.pop(f"consent_{clinic['required'].id}")
    response = client.post("/register", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-summary"' in page
    for name in ("first_name", "pesel", "email", "postal_code", "password", "password_confirm"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in tag, name
        assert f"{name}-error" in tag, name
        assert f'id="{name}-error"' in page
    assert f'id="consent_{clinic["required"].id}-error"' in page


def test_invalid_registration_stores_nothing_and_sends_no_mail(app, client, clinic, mailbox):
    client.post("/register", data=registration_data(client, clinic, pesel="12345678901"))
    assert counts(app) == (0, 0)
    assert mailbox.messages == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("first_name", "<script>alert(1)</script>"),
        ("last_name", "Robert'); DROP TABLE patient;--"),
        ("first_name", "A" * 5000),
        ("login", "x" * 65),
        ("email", "a" * 250 + "@example.com"),
        ("street", "<b>ul. Zła</b>"),
        ("phone", "600100200' OR '1'='1"),
        ("first_name", "Ann\x00a"),
        ("last_name", "Nowak\u202e"),
        ("postal_code", "00-95O"),
        ("house_number", "5" * 21),
    ],
)
def test_hostile_input_gives_422_and_changes_nothing(app, client, clinic, field, value):
    """ASVS V5.1.3/V5.1.4 allow-lists and length limits; V5.3.4 nothing reaches SQL raw."""
    response = client.post("/register", data=registration_data(client, clinic, **{field: value}))
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_invalid_utf8_gives_422_not_500(app, client, clinic):
    """ASVS V5.1.4 bytes that are not UTF-8 are refused, never stored broken."""
    data = registration_data(client, clinic)
    body = "&".join(
        f"{k}={v}"
        for k, v in data.items()
        if k not in {"first_name", "password", "password_confirm"}
    )
    raw = (
        body.encode()
        + b"&first_name=Ann%FF%FEa&password=zielony+rower+jedzie"
        + b"&password_confirm=zielony+rower+jedzie"
    )
    response = client.post("/register", data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert counts(app) == (0, 0)


def test_missing_csrf_token_is_refused_and_stores_nothing(app, client, clinic):
    """ASVS V4.2.2 CSRF token on every state change."""
    data = registration_data(client, clinic)
    data.pop("csrf_token")
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert counts(app) == (0, 0)


def test_pesel_derives_birth_date_and_sex_and_shows_them(client, clinic):
    page = client.post("/register", data=registration_data(client, clinic, email="")).get_data(
        as_text=True
    )
    assert "17 maja 1990" in page and "kobieta" in page


def test_htmx_blur_validates_one_field_and_returns_only_its_block(client, clinic):
    headers = {"HX-Request": "true", "HX-Trigger-Name": "pesel"}
    data = registration_data(client, clinic, pesel="44051401458")
    response = client.post("/register", data=data, headers=headers)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'class="pesel-group"' in body
    assert "14 maja 1944" in body and "mężczyzna" in body
    bad = client.post(
        "/register",
        data=registration_data(client, clinic, postal_code="1234"),
        headers={"HX-Request": "true", "HX-Trigger-Name": "postal_code"},
    ).get_data(as_text=True)
    assert 'aria-invalid="true"' in bad and "00-000" in bad and "<html" not in bad
    assert (
        response.headers["Vary"] == "Cookie, HX-Request" or "HX-Request" in response.headers["Vary"]
    )


def test_field_validation_never_registers(app, client, clinic):
    headers = {"HX-Request": "true", "HX-Trigger-Name": "login"}
    client.post("/register", data=registration_data(client, clinic), headers=headers)
    assert counts(app) == (0, 0)


def test_password_keeps_its_value_in_the_htmx_fragment_only(client, clinic):
    full = client.post("/register", data=registration_data(client, clinic, first_name="")).get_data(
        as_text=True
    )
    assert PASSWORD not in full
    fragment = client.post(
        "/register",
        data=registration_data(client, clinic),
        headers={"HX-Request": "true", "HX-Trigger-Name": "password"},
    ).get_data(as_text=True)
    assert 'type="password"' in fragment and f'value="{PASSWORD}"' in fragment


def test_no_pesel_needs_a_birth_date_and_is_then_sent_to_sub_accounts(app, client, clinic):
    """Without a PESEL an account could not be used alone (services.subaccounts): the form says
    a parent adds the person as a sub-account instead of creating a locked account."""
    response = client.post(
        "/register", data=registration_data(client, clinic, pesel="", no_pesel="y")
    )
    assert response.status_code == 422
    assert 'id="birth_date-error"' in response.get_data(as_text=True)
    response = client.post(
        "/register",
        data=registration_data(client, clinic, pesel="", no_pesel="y", birth_date="2001-02-03"),
    )
    assert response.status_code == 422
    assert "subkonto" in response.get_data(as_text=True)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert not Patient.select().exists()
        db.close()


@pytest.mark.parametrize(
    "password",
    ["kotek123", "qwertyuiop123", "Password1234", "anna.nowak-haslo", "a" * 129],
)
def test_weak_passwords_are_refused(app, client, clinic, password):
    """ASVS V2.1.1 length, V2.1.2 max 128, V2.1.7 common list and the login inside."""
    response = client.post(
        "/register",
        data=registration_data(client, clinic, password=password, password_confirm=password),
    )
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_sixty_four_character_unicode_password_is_accepted(app, client, clinic):
    """ASVS V2.1.2/V2.1.4 64 characters of any printable Unicode, never truncated."""
    password = ("żółw 🐢 idzie " * 6)[:64]
    response = client.post(
        "/register",
        data=registration_data(client, clinic, password=password, password_confirm=password),
    )
    assert response.status_code == 303
    # a 303 alone proves little (a duplicate and the honeypot answer 303 too): the account
    # exists and the whole password, not a truncated one, opens it
    with app.app_context():
        db.connect(reuse_if_open=True)
        made = Account.get(Account.login == "anna.nowak")
        db.close()
    assert verify_password(made.password_hash, password)
    assert not verify_password(made.password_hash, password[:63])


def test_ambiguous_locality_offers_candidates_without_js(app, client, clinic):
    response = client.post(
        "/register", data=registration_data(client, clinic, locality="Nowa Wieś")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count('name="locality_choice"') == 2
    assert "gm. Kowala" in page and "gm. Przasnysz" in page
    with app.app_context():
        db.connect(reuse_if_open=True)
        chosen = Locality.get(Locality.simc == "0002")
        db.close()
    response = client.post(
        "/register",
        data=registration_data(
            client, clinic, locality="Nowa Wieś", locality_choice=str(chosen.id)
        ),
    )
    assert response.status_code == 303
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Patient.get().locality_id == chosen.id
        db.close()


def test_unknown_locality_is_refused(client, clinic):
    response = client.post(
        "/register", data=registration_data(client, clinic, locality="Atlantyda")
    )
    assert response.status_code == 422
    assert 'id="locality-error"' in response.get_data(as_text=True)


def test_locality_type_ahead_returns_datalist_options(client, clinic):
    response = client.get("/localities?q=Now", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith('<datalist id="locality-options">') and body.count("<option") == 2


def test_duplicate_email_looks_like_success_and_mails_the_owner(app, client, clinic, mailbox):
    """ASVS V2.5.x / V3 no enumeration: a known e-mail gives the same page; owner is told."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="istniejacy", email="anna@example.com")
        db.close()
    before = counts(app)
    response = client.post("/register", data=registration_data(client, clinic))
    assert response.status_code == 303 and response.headers["Location"].endswith("/register/done")
    assert counts(app) == before
    message = mailbox.wait_for(to="anna@example.com")
    assert "już należą do Twojego konta" in mailbox.text(message)
    assert not any("/activate/" in link for link in mailbox.links(message))


def test_duplicate_pesel_mails_the_existing_owner_not_the_new_address(app, client, clinic, mailbox):
    """No enumeration of PESELs: same answer, the PESEL's owner gets the mail."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        owner = factories.patient(pesel=PESEL)
        factories.account(login="wlasciciel", email="owner@example.com", patient=owner)
        db.close()
    response = client.post(
        "/register", data=registration_data(client, clinic, email="stranger@example.com")
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/register/done")
    mailbox.wait_for(to="owner@example.com")
    assert not mailbox._matching("stranger@example.com")


def test_taken_login_is_not_shown_on_the_page_and_the_new_address_is_told(
    app, client, clinic, mailbox
):
    with app.app_context():
        db.connect(reuse_if_open=True)
        factories.account(login="Anna.Nowak", email="other@example.com")
        db.close()
    response = client.post("/register", data=registration_data(client, clinic))
    assert response.status_code == 303
    message = mailbox.wait_for(to="anna@example.com")
    assert "zajęty" in mailbox.text(message)
    assert counts(app) == (1, 1)


def test_duplicate_and_new_registration_answer_identically(app, client, clinic, mailbox):
    first = client.post("/register", data=registration_data(client, clinic))
    other = app.test_client()
    second = other.post("/register", data=registration_data(other, clinic))
    assert (first.status_code, first.headers["Location"]) == (
        second.status_code,
        second.headers["Location"],
    )


def test_honeypot_filled_pretends_success_and_stores_nothing(app, client, clinic, mailbox):
    """Anti-bot: the hidden field is filled only by bots."""
    response = client.post(
        "/register", data=registration_data(client, clinic, website="http://spam.example")
    )
    assert response.status_code == 303
    assert counts(app) == (0, 0)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert OutboxMessage.select().count() == 0
        db.close()


def test_registration_is_rate_limited_per_ip(app, client, clinic):
    """ASVS V2.2.1 / V11.1.4 registration limited per IP: 429 with Retry-After."""
    statuses = []
    for _ in range(11):
        data = registration_data(client, clinic, first_name="")
        statuses.append(client.post("/register", data=data).status_code)
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    blocked = client.post("/register", data=registration_data(client, clinic))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert counts(app) == (0, 0)


class TestWithBotCheck:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "BOT_CHECK": True, "BOT_CHECK_BITS": 8}

    @staticmethod
    def challenge_token(page: str) -> str:
        return re.search(r'name="botcheck_challenge" value="([^"]+)"', page).group(1)

    def test_form_carries_a_signed_challenge_and_the_script_file(self, client, clinic):
        page = client.get("/register").get_data(as_text=True)
        assert 'data-challenge="' in page
        assert re.search(r"/static/js/botcheck\.[0-9a-f]{10}\.js", page)
        assert "Ile to jest" in page

    def test_without_a_solution_or_answer_registration_is_refused(self, app, client, clinic):
        response = client.post("/register", data=registration_data(client, clinic))
        assert response.status_code == 422
        assert 'id="botcheck_answer-error"' in response.get_data(as_text=True)
        assert counts(app) == (0, 0)

    def test_proof_of_work_solution_registers_once_and_cannot_be_replayed(
        self, app, client, clinic
    ):
        token = self.challenge_token(client.get("/register").get_data(as_text=True))
        with app.test_request_context():
            solution = botcheck.solve(token, 8)
        data = registration_data(
            client, clinic, botcheck_challenge=token, botcheck_solution=solution
        )
        assert client.post("/register", data=data).status_code == 303
        data = registration_data(
            client,
            clinic,
            email="bob@example.com",
            login="bob.nowak",
            pesel=make_pesel(date(1985, 1, 2), 7, female=False),
            botcheck_challenge=token,
            botcheck_solution=solution,
        )
        assert client.post("/register", data=data).status_code == 422
        assert counts(app) == (1, 1)

    def test_no_js_answer_to_the_question_is_accepted(self, app, client, clinic):
        page = client.get("/register").get_data(as_text=True)
        token = self.challenge_token(page)
        words = {str(v): k for k, v in botcheck.NUMBER_WORDS.items()}
        a, b = re.search(r"Ile to jest (\w+) plus (\w+)\?", page).groups()
        answer = str(words[a] + words[b])
        wrong = registration_data(
            client, clinic, botcheck_challenge=token, botcheck_answer=str(int(answer) + 1)
        )
        assert client.post("/register", data=wrong).status_code == 422
        right = registration_data(client, clinic, botcheck_challenge=token, botcheck_answer=answer)
        assert client.post("/register", data=right).status_code == 303

    def test_forged_challenge_is_refused(self, app, client, clinic):
        data = registration_data(
            client, clinic, botcheck_challenge="eyJuIjoiMSJ9.abc.def", botcheck_solution="1"
        )
        assert client.post("/register", data=data).status_code == 422
