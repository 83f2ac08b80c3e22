"""Password policy: length, Unicode, the common-password list, personal data, strength hint."""

from __future__ import annotations

import pytest

from core.password_policy import common_passwords, password_problems, strength_hint


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context("/"):
        yield


def test_eleven_characters_are_refused_twelve_accepted():
    """ASVS V2.1.1 passwords of at least 12 characters."""
    assert password_problems("kret w ogr1")
    assert password_problems("kret w ogr12") == []


def test_sixty_four_allowed_and_over_128_refused():
    """ASVS V2.1.2 64 characters allowed, more than 128 refused."""
    assert password_problems("zielony " * 8) == []
    assert password_problems("b" + "zielony kot " * 10 + "1234567") == []
    assert len("b" + "zielony kot " * 10 + "1234567") == 128
    assert password_problems("zielony kot " * 11)


def test_printable_unicode_spaces_polish_letters_and_emoji_allowed():
    """ASVS V2.1.4 any printable Unicode is accepted; control characters are not."""
    assert password_problems("żółć gęślą jaźń 🐍") == []
    assert password_problems("tab\tw środku hasła")
    assert password_problems("nul\x00w środku hasła")


def test_common_passwords_refused_case_insensitively():
    """ASVS V2.1.7 checked against the shipped list of common passwords."""
    assert len(common_passwords()) > 10000
    for word in ("Password1234", "QWERTYUIOP123", "haslo1234567", "kochamcie123", "123456789012"):
        assert password_problems(word), word


def test_no_composition_rules():
    """ASVS V2.1.9 only lowercase letters and spaces is fine if long and uncommon."""
    assert password_problems("dlugie zdanie bez cyfr") == []


def test_password_with_login_or_email_name_refused():
    """ASVS V2.1.7 a password containing the login or e-mail name is easy to guess."""
    assert password_problems("janek.kowalski99", user_inputs=("janek.kowalski",))
    assert password_problems("xx-ewa.nowak-xx!", user_inputs=("ewa.nowak@example.com",))
    assert password_problems("niezwiazane haslo", user_inputs=("janek", "jan@x.pl")) == []


def test_confirmation_must_match():
    assert password_problems("zielony kot lata", "zielony kot lat")
    assert password_problems("zielony kot lata", "zielony kot lata") == []


def test_repeated_character_refused():
    assert password_problems("ąąąąąąąąąąąąą")


def test_strength_hint_grows_with_length():
    """ASVS V2.1.8 a server-side strength hint."""
    weak = strength_hint("abc")
    strong = strength_hint("Rzeka płynie pod mostem 7 razy!")
    assert weak != strong
    assert strength_hint("kotek lubi mleko")
