"""Importing localities (TERYT SIMC); replaced by the full importer."""

from __future__ import annotations

from pathlib import Path


class LocalityImportError(Exception):
    pass


def import_localities(simc_file: Path, terc_file: Path | None = None) -> tuple[int, int]:
    raise LocalityImportError("not implemented yet")
