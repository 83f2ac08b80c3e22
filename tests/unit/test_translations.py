"""Every user-visible string has an English translation with the same placeholders."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


def _catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def test_every_source_string_is_translated_to_english(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
        + ["-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    english = _catalog(ROOT / "translations/en/LC_MESSAGES/messages.po")
    missing = [
        m.id for m in _catalog(pot) if m.id and not (english.get(m.id) and english[m.id].string)
    ]
    assert missing == [], f"untranslated (run `make extract-messages`): {missing[:10]}"


def test_translations_keep_their_placeholders():
    english = _catalog(ROOT / "translations/en/LC_MESSAGES/messages.po")
    broken = [
        m.id
        for m in english
        if m.id
        and m.string
        and set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(m.string))
    ]
    assert broken == []
