"""Every message that sends a patient to the phone ("zadzwoń do rejestracji", "skontaktuj się
z rejestracją") carries the number to call, in Polish and in English."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"zadzwoń\b|skontaktuj się z rejestracj|kontakt z rejestracj", re.IGNORECASE)


def test_every_call_the_clinic_message_has_a_phone_placeholder(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
        + ["-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        messages = [m.id for m in read_po(f) if isinstance(m.id, str)]
    calls = [m for m in messages if CALL.search(m)]
    assert calls, "the pattern no longer finds the call-the-clinic messages"
    without_number = [m for m in calls if "%(phone)s" not in m]
    assert without_number == []
