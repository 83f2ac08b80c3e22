"""The doctor's visit page and what is written on it: every role boundary (a visitor logs in,
a patient 404, registrar/admin 403, another doctor's visit 404), closing a visit, the records
of a completed visit reaching the patient, and uploads refused by content, size and name with
nothing stored."""

from __future__ import annotations

import io
import os

import pytest

from models.audit import AuditEvent
from models.base import db
from models.booking import Appointment
from models.mail import OutboxMessage
from models.medical import Document, Prescription, Recommendation, Referral, Vaccination
from tests import factories
from tests import role_matrix as rm
from tests.conftest import csrf_token

ACTIONS = ["complete", "no-show", "recommendations", "prescriptions", "referrals",
           "vaccinations", "documents"]  # fmt: skip


@pytest.fixture
def world(app):
    return factories.made_in(app, factories.doctor_day)


def _routes(visit_id: int) -> list[tuple[str, str]]:
    page = f"/staff/visits/{visit_id}"
    return rm.routes([page], [f"{page}/{action}" for action in ACTIONS])


@pytest.mark.parametrize(
    ("role", "answer"),
    [(rm.ANONYMOUS, rm.LOG_IN), ("patient", 404), ("registrar", 403), ("admin", 403)],
)
def test_a_visitor_logs_in_a_patient_gets_404_the_desk_and_the_admin_403(
    client, world, role, answer
):
    token = rm.enter_as(client, role, rm.logins(world))
    rm.expect(client, token, answer, _routes(world["visit"].id), who=role)


def test_another_doctors_visit_is_404_and_the_refusal_is_audited(client, world):
    token = rm.enter_as(client, "doctor", rm.logins(world))
    rm.expect(client, token, 404, _routes(world["other_visit"].id))
    assert client.get("/staff/visits/999999").status_code == 404
    with client.application.app_context():
        assert AuditEvent.select().where(AuditEvent.action == "access.refused").count() >= 1
        status = Appointment.get_by_id(world["other_visit"].id).status
    assert status == "booked"


def test_the_doctor_opens_the_visit_and_the_read_is_audited(client, world):
    rm.log_in(client, world["doctor_account"].login)
    page = client.get(f"/staff/visits/{world['visit'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world["patient"].full_name in html
    assert "Boli mnie głowa" in html and "1234" in html
    assert "Porada internistyczna" in html
    with client.application.app_context():
        read = AuditEvent.get(AuditEvent.action == "read.doctor.visit")
    assert read.patient_id == world["patient"].id and read.object_id == world["visit"].id
    # the agenda links the doctor's own visit
    day = page.request.environ  # noqa: F841 (keeps the client warm)
    agenda = client.get("/staff/").get_data(as_text=True)
    assert f"/staff/visits/{world['visit'].id}" in agenda


def test_records_wait_for_a_completed_visit_and_then_reach_the_patient(client, world):
    base = f"/staff/visits/{world['visit'].id}"
    token = rm.log_in(client, world["doctor_account"].login, token_from=base)
    refused = client.post(f"{base}/referrals", data={"csrf_token": token, "target": "Kardiolog"})
    assert refused.status_code == 409
    done = client.post(
        f"{base}/complete", data={"csrf_token": token, "recommendation": "Pić dużo wody.\nSpać."}
    )
    assert done.status_code == 303
    again = client.post(f"{base}/no-show", data={"csrf_token": token})
    assert again.status_code == 409
    posts = {
        "recommendations": {"recommendation": "Kontrola za miesiąc."},
        "prescriptions": {"medicine": "Ibuprom 200 mg", "packages": "2", "order": ""},
        "referrals": {"target": "Poradnia kardiologiczna", "diagnosis": "I10"},
        "vaccinations": {"name": "Grypa", "status": "done", "dose": "1/1"},
    }
    for action, data in posts.items():
        response = client.post(f"{base}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 303, (action, response.get_data(as_text=True)[:2000])
    with client.application.app_context():
        mails_before = OutboxMessage.select().count()
    order = client.post(
        f"{base}/prescriptions",
        data={"csrf_token": token, "order": str(world["order"].id), "medicine": ""},
    )
    assert order.status_code == 303
    with client.application.app_context():  # the order changed status: the patient is told
        mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
        assert OutboxMessage.select().count() == mails_before + 1
        assert mail.to == world["account"].email and mail.subject == "Recepta wystawiona"
    planned_past = client.post(
        f"{base}/vaccinations",
        data={"csrf_token": token, "name": "HPV", "status": "planned", "on_date": "2000-01-01"},
    )
    assert planned_past.status_code == 422
    with client.application.app_context():
        person = world["patient"].id
        assert Appointment.get_by_id(world["visit"].id).status == "completed"
        texts = [r.text for r in Recommendation.select().where(Recommendation.patient == person)]
        assert texts == ["Pić dużo wody.\nSpać.", "Kontrola za miesiąc."]
        assert Prescription.select().where(Prescription.patient == person).count() == 2
        assert Referral.select().where(Referral.patient == person).count() == 1
        assert Vaccination.select().where(Vaccination.patient == person).count() == 1
        assert world["order"].__class__.get_by_id(world["order"].id).status == "issued"
    client.get("/logout")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    rm.log_in(client, world["account"].login)
    assert "Kontrola za miesiąc." in client.get("/panel/recommendations").get_data(as_text=True)
    assert "Ibuprom 200 mg" in client.get("/panel/prescriptions").get_data(as_text=True)
    assert "Poradnia kardiologiczna" in client.get("/panel/referrals").get_data(as_text=True)


def test_a_visit_not_started_cannot_be_closed(client, world, app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        from models.booking import Appointment as A

        later = A.create(slot=world["slots"][1], patient=world["patient"], service=world["service"])
        db.close()
    token = rm.log_in(client, world["doctor_account"].login, token_from=f"/staff/visits/{later.id}")
    for action in ("complete", "no-show"):
        response = client.post(f"/staff/visits/{later.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 409
    with app.app_context():
        assert A.get_by_id(later.id).status == "booked"


def test_no_show(client, world):
    base = f"/staff/visits/{world['visit'].id}"
    token = rm.log_in(client, world["doctor_account"].login, token_from=base)
    assert client.post(f"{base}/no-show", data={"csrf_token": token}).status_code == 303
    with client.application.app_context():
        assert Appointment.get_by_id(world["visit"].id).status == "no_show"
    assert client.post(f"{base}/complete", data={"csrf_token": token}).status_code == 409


def _completed(client, world) -> tuple[str, str]:
    base = f"/staff/visits/{world['visit'].id}"
    token = rm.log_in(client, world["doctor_account"].login, token_from=base)
    assert client.post(f"{base}/complete", data={"csrf_token": token}).status_code == 303
    return base, token


def _upload(client, base, token, content: bytes, name: str):
    return client.post(
        f"{base}/documents",
        data={
            "csrf_token": token,
            "title": "Wynik",
            "kind": "result",
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )


def _stored(app) -> tuple[int, list[str]]:
    directory = app.config["DOCUMENTS_DIR"]
    files = os.listdir(directory) if os.path.isdir(directory) else []
    with app.app_context():
        return Document.select().count(), files


def test_a_pdf_is_shared_with_a_checksum_and_the_patient_downloads_it(client, world, app):
    base, token = _completed(client, world)
    response = _upload(client, base, token, factories.TINY_PDF, "wynik.pdf")
    assert response.status_code == 303
    count, files = _stored(app)
    assert count == 1 and len(files) == 1
    with app.app_context():
        document = Document.get()
        assert document.content_type == "application/pdf" and len(document.sha256) == 64
        assert document.storage_name == files[0] and "wynik" not in files[0]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    rm.log_in(client, world["account"].login)
    got = client.get(f"/panel/documents/{document.id}/download")
    assert got.status_code == 200 and got.data == factories.TINY_PDF


@pytest.mark.parametrize(
    "content, name",
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "skan.pdf"),  # a renamed .exe
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "wynik.png"),  # a renamed ELF binary
        (factories.TINY_PDF, "../../etc/passwd.pdf"),  # path traversal
        (factories.TINY_PDF, "..\\..\\windows\\wynik.pdf"),
        (b"", "pusty.pdf"),
    ],
    ids=["exe-as-pdf", "elf-as-png", "traversal", "traversal-backslash", "empty"],
)
def test_hostile_uploads_are_refused_and_nothing_is_stored(client, world, app, content, name):
    base, token = _completed(client, world)
    response = _upload(client, base, token, content, name)
    assert response.status_code == 422, response.status_code
    assert _stored(app) == (0, [])


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DOCUMENT_MAX_BYTES": 100 * 1024}


def test_a_file_over_the_forms_64_kb_but_under_the_routes_limit_is_shared(client, world, app):
    """CSRF and the input guard read the body before the view: the route's own limit must
    already apply then (core/uploads.py), or every real PDF would be a 413."""
    base, token = _completed(client, world)
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    pdf = factories.TINY_PDF + b"%" + b"0" * (90 * 1024)
    assert _upload(client, base, token, pdf, "skan.pdf").status_code == 303
    with app.app_context():
        assert Document.get().size == len(pdf)


def test_an_oversized_file_is_refused_with_the_routes_own_limit(client, world, app):
    base, token = _completed(client, world)
    over = factories.TINY_PDF + b"0" * (101 * 1024)  # over the file limit, in the overhead
    response = _upload(client, base, token, over, "duzy.pdf")
    assert response.status_code == 413
    assert "Nic nie zapisano" in response.get_data(as_text=True)
    huge = factories.TINY_PDF + b"0" * (300 * 1024)  # over the route's whole request limit
    response = _upload(client, base, token, huge, "duzy.pdf")
    assert response.status_code == 413 and "116 KB" in response.get_data(as_text=True)
    assert _stored(app) == (0, [])


def test_other_forms_keep_the_64_kb_limit(client, world):
    base = f"/staff/visits/{world['visit'].id}"
    token = rm.log_in(client, world["doctor_account"].login, token_from=base)
    response = client.post(
        f"{base}/recommendations", data={"csrf_token": token, "recommendation": "x" * 70_000}
    )
    assert response.status_code == 413


def test_the_patient_gets_no_mail_about_a_doctors_note(client, world, app):
    """Completing the visit sends nothing by itself (the panel shows it)."""
    with app.app_context():
        before = OutboxMessage.select().count()
    _completed(client, world)
    with app.app_context():
        assert OutboxMessage.select().count() == before
