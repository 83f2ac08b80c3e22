"""DOCUMENT_MAX_BYTES: the doctor's upload limit, a whole number of bytes in a sane range."""

import pytest

from core.config import ConfigError, load_config


def test_default_is_ten_megabytes(tmp_path):
    cfg = load_config(str(tmp_path), {"WIZYTA_ENV": "development"})
    assert cfg["DOCUMENT_MAX_BYTES"] == 10 * 1024 * 1024
    assert cfg["MAX_CONTENT_LENGTH"] == 64 * 1024


@pytest.mark.parametrize("value", ["10MB", "-1", "12", str(200 * 1024 * 1024)])
def test_a_bad_value_is_refused_with_one_line(tmp_path, value):
    with pytest.raises(ConfigError, match="DOCUMENT_MAX_BYTES"):
        load_config(str(tmp_path), {"WIZYTA_ENV": "development", "DOCUMENT_MAX_BYTES": value})


def test_a_good_value_is_taken(tmp_path):
    env = {"WIZYTA_ENV": "development", "DOCUMENT_MAX_BYTES": "2097152"}
    assert load_config(str(tmp_path), env)["DOCUMENT_MAX_BYTES"] == 2 * 1024 * 1024
