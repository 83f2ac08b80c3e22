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


TRANSLATABLE_CALL = re.compile(r"""\b_\(\s*["']""")


def _extract(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
        + ["-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return _catalog(pot)


def test_every_source_string_is_translated_to_english(tmp_path):
    english = _catalog(ROOT / "translations/en/LC_MESSAGES/messages.po")
    missing = [
        m.id
        for m in _extract(tmp_path)
        if m.id and not (english.get(m.id) and english[m.id].string)
    ]
    assert missing == [], f"untranslated (run `make extract-messages`): {missing[:10]}"


def test_every_template_with_translatable_text_is_extracted(tmp_path):
    """Jinja's extractor skips a template it cannot parse (a missing extension such as
    `do` in macros/forms.html) without a word: every template that calls _() must
    contribute at least one message, so its strings are checked above."""
    seen = {path for message in _extract(tmp_path) for path, _line in message.locations if path}
    templates = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if TRANSLATABLE_CALL.search(path.read_text(encoding="utf-8"))
    ]
    skipped = [t for t in templates if t not in seen]
    assert templates and skipped == [], f"templates the extractor did not read: {skipped}"


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
