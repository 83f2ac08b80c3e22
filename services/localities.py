"""The localities dictionary (TERYT SIMC): import from CSV, type-ahead search, resolving a label."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import peewee
from peewee import SQL, Case, Value, fn

from models.base import db, is_sqlite
from models.clinic import Locality

VOIVODESHIPS = {
    "02": "dolnośląskie",
    "04": "kujawsko-pomorskie",
    "06": "lubelskie",
    "08": "lubuskie",
    "10": "łódzkie",
    "12": "małopolskie",
    "14": "mazowieckie",
    "16": "opolskie",
    "18": "podkarpackie",
    "20": "podlaskie",
    "22": "pomorskie",
    "24": "śląskie",
    "26": "świętokrzyskie",
    "28": "warmińsko-mazurskie",
    "30": "wielkopolskie",
    "32": "zachodniopomorskie",
}

SIMC_HEADER = ["WOJ", "POW", "GMI", "RODZ_GMI", "RM", "MZ", "NAZWA", "SYM", "SYMPOD", "STAN_NA"]
TERC_HEADER = ["WOJ", "POW", "GMI", "RODZ", "NAZWA", "NAZWA_DOD", "STAN_NA"]
WIZYTA_HEADER = ["name", "commune", "county", "voivodeship", "simc"]

MIN_QUERY = 2
MAX_QUERY = 100
BATCH = 500
FIELDS = ("name", "commune", "county", "voivodeship", "simc")
MAX_LENGTH = {"name": 120, "commune": 120, "county": 120, "voivodeship": 60, "simc": 7}

# SQLite's lower() folds ASCII only and PostgreSQL's depends on the server's LC_CTYPE,
# so Polish capitals are folded explicitly: the same expression works on both.
POLISH_CAPITALS = "ĄĆĘŁŃÓŚŹŻ"
LABEL = re.compile(r"^(?P<name>.+?) \(gm\. (?P<commune>.+), woj\. (?P<voivodeship>[^,()]+)\)$")


class LocalityImportError(Exception):
    """A file the importer cannot read; the message is one line naming the file and line."""


# --- reading files --------------------------------------------------------------------------


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LocalityImportError(f"{path.name}: cannot read the file ({error.strerror})") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older GUS exports are windows-1250; it decodes any byte sequence but a few.
        try:
            return raw.decode("cp1250")
        except UnicodeDecodeError:
            raise LocalityImportError(
                f"{path.name}: the file is neither UTF-8 nor windows-1250 text"
            ) from None


def _rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (stripped) and an iterator of (line number, cells) for non-empty rows."""
    text = _decode(path)
    if not text.strip():
        raise LocalityImportError(f"{path.name}: the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise LocalityImportError(f"{path.name}: the file is empty") from None
    except csv.Error as error:
        raise LocalityImportError(f"{path.name}, line 1: {error}") from None

    def body() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                yield reader.line_num, [cell.strip() for cell in cells]
        except csv.Error as error:
            raise LocalityImportError(f"{path.name}, line {reader.line_num}: {error}") from None

    return header, body()


def _bad(path: Path, line: int, problem: str) -> LocalityImportError:
    return LocalityImportError(f"{path.name}, line {line}: {problem}")


def _check_width(path: Path, line: int, cells: list[str], header: list[str]) -> None:
    if len(cells) != len(header):
        raise _bad(path, line, f"expected {len(header)} fields separated by ';', got {len(cells)}")


def _read_terc(path: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, ...], str]]:
    """County names by (WOJ, POW) and commune names by (WOJ, POW, GMI, RODZ) from TERC."""
    header, rows = _rows(path)
    if header[: len(TERC_HEADER)] != TERC_HEADER or len(header) != len(TERC_HEADER):
        raise LocalityImportError(
            f"{path.name}, line 1: not a TERC file (expected header {';'.join(TERC_HEADER)})"
        )
    counties: dict[tuple[str, str], str] = {}
    communes: dict[tuple[str, ...], str] = {}
    for line, cells in rows:
        _check_width(path, line, cells, header)
        woj, pow_, gmi, rodz, name, extra = cells[:6]
        if not woj.isdigit() or not name:
            raise _bad(path, line, "missing WOJ code or NAZWA")
        if not pow_:
            continue  # the voivodeship itself
        if not gmi:
            if "na prawach powiatu" in extra:
                name = f"m. {name}"
            counties[(woj, pow_)] = name
        else:
            communes[(woj, pow_, gmi, rodz)] = name
            communes.setdefault((woj, pow_, gmi), name)
    return counties, communes


def _simc_records(path: Path, rows, header, terc_file: Path | None) -> Iterator[dict[str, str]]:
    counties, communes = _read_terc(terc_file) if terc_file else ({}, {})
    for line, cells in rows:
        _check_width(path, line, cells, header)
        woj, pow_, gmi, rodz, _rm, _mz, name, sym, sympod = cells[:9]
        if woj not in VOIVODESHIPS:
            raise _bad(path, line, f"unknown voivodeship code WOJ={woj!r}")
        if not (sym.isdigit() and len(sym) == 7 and sympod.isdigit() and len(sympod) == 7):
            raise _bad(path, line, "SYM and SYMPOD must be 7-digit codes")
        if not (pow_.isdigit() and gmi.isdigit() and rodz.isdigit()):
            raise _bad(path, line, "POW, GMI and RODZ_GMI must be numeric codes")
        if sym != sympod:
            continue  # a part of a locality (osiedle, przysiółek…), not a locality itself
        yield {
            "name": name,
            "commune": communes.get((woj, pow_, gmi, rodz))
            or communes.get((woj, pow_, gmi))
            or f"{woj}{pow_}{gmi}{rodz}",
            "county": counties.get((woj, pow_)) or f"{woj}{pow_}",
            "voivodeship": VOIVODESHIPS[woj],
            "simc": sym,
            "_line": str(line),
        }


def _wizyta_records(path: Path, rows, header) -> Iterator[dict[str, str]]:
    for line, cells in rows:
        _check_width(path, line, cells, header)
        record = dict(zip(WIZYTA_HEADER, cells, strict=True))
        if record["simc"] and not (record["simc"].isdigit() and len(record["simc"]) == 7):
            raise _bad(path, line, "simc must be a 7-digit code or empty")
        record["_line"] = str(line)
        yield record


def _records(simc_file: Path, terc_file: Path | None) -> list[dict[str, str]]:
    header, rows = _rows(simc_file)
    if header == SIMC_HEADER:
        records = _simc_records(simc_file, rows, header, terc_file)
    elif [h.lower() for h in header] == WIZYTA_HEADER:
        records = _wizyta_records(simc_file, rows, header)
    else:
        raise LocalityImportError(
            f"{simc_file.name}, line 1: unknown layout; expected the TERYT SIMC header "
            f"{';'.join(SIMC_HEADER)} or {';'.join(WIZYTA_HEADER)}"
        )
    result = []
    for record in records:
        line = int(record.pop("_line"))
        if not record["name"] or not record["voivodeship"]:
            raise _bad(simc_file, line, "name and voivodeship are required")
        for field in FIELDS:
            if len(record[field]) > MAX_LENGTH[field]:
                raise _bad(simc_file, line, f"{field} is longer than {MAX_LENGTH[field]}")
        record["simc"] = record["simc"] or None
        result.append(record)
    return result


# --- importing ------------------------------------------------------------------------------


def import_localities(simc_file: Path, terc_file: Path | None = None) -> tuple[int, int]:
    """Upsert localities from a SIMC (or Wizyta) CSV in one transaction; (created, updated).

    A row matches an existing locality by SIMC code, or by (name, commune, voivodeship)
    when it has none, so importing the same file again changes nothing.
    """
    records = _records(Path(simc_file), Path(terc_file) if terc_file else None)
    with db.atomic():
        by_simc: dict[str, tuple] = {}
        by_name: dict[tuple[str, str, str], tuple] = {}
        existing = Locality.select(Locality.id, *(getattr(Locality, f) for f in FIELDS)).tuples()
        for row in existing.iterator():
            key = (row[1], row[2], row[4])
            if row[5]:
                by_simc[row[5]] = row
            by_name.setdefault(key, row)
        to_insert: list[dict] = []
        to_update: list[Locality] = []
        seen: set = set()
        for record in records:
            natural = (record["name"], record["commune"], record["voivodeship"])
            key = record["simc"] or natural
            if key in seen:
                continue  # a duplicate row in the file: the first one counts
            seen.add(key)
            current = by_simc.get(record["simc"]) if record["simc"] else None
            if current is None and not record["simc"]:
                current = by_name.get(natural)
            if current is None:
                to_insert.append(record)
            elif tuple(current[1:]) != tuple(record[f] for f in FIELDS):
                to_update.append(Locality(id=current[0], **record))
        for start in range(0, len(to_insert), BATCH):
            Locality.insert_many(to_insert[start : start + BATCH]).execute()
        if to_update:
            fields = [getattr(Locality, f) for f in FIELDS if f != "simc"]
            Locality.bulk_update(to_update, fields=fields, batch_size=200)
    return len(to_insert), len(to_update)


# --- searching ------------------------------------------------------------------------------


def _folded(expression):
    """lower() plus the Polish capitals, the same on SQLite and PostgreSQL."""
    folded = fn.LOWER(expression)
    for capital in POLISH_CAPITALS:
        folded = fn.REPLACE(folded, capital, capital.lower())
    return folded


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_query(text: str | None, max_length: int = MAX_QUERY) -> str:
    """Single-spaced text without control characters (PostgreSQL refuses NUL), cut to length."""
    text = "".join(ch for ch in (text or "")[: max_length * 4] if ch.isprintable() or ch == " ")
    return " ".join(text.split())[:max_length]


def search_localities(query: str, limit: int = 10) -> list[Locality]:
    """Localities whose name starts with the query (any case); exact names and cities first."""
    query = clean_query(query).lower()
    if len(query) < MIN_QUERY:
        return []
    limit = max(1, min(int(limit), 50))
    folded = _folded(Locality.name)
    pattern = _like_escape(query) + "%"
    rank = (
        Case(None, [(folded == query, 0)], 1),
        # A city with county rights, then a commune's seat, stand in for "the larger place".
        Case(None, [(Locality.county.startswith("m. "), 0)], 1),
        Case(None, [(Locality.commune == Locality.name, 0)], 1),
        fn.LENGTH(Locality.name),
        Locality.name,
        Locality.id,
    )
    condition = peewee.NodeList((folded, SQL("LIKE"), Value(pattern), SQL("ESCAPE '\\'")))
    if is_sqlite():
        condition &= _index_ranges(query)
    return list(Locality.select().where(condition).order_by(*rank).limit(limit))


def _index_ranges(query: str):
    """Name ranges for every capitalisation of the first letters, so SQLite uses the index.

    SQLite compares text by code point (BINARY), so names starting with `p` are exactly
    those in [p, p + U+10FFFF). PostgreSQL's collations do not promise that; there the
    folded LIKE alone decides.
    """
    prefixes = [""]
    for char in query[:3]:
        prefixes = [p + c for p in prefixes for c in dict.fromkeys((char, char.upper()))]
    condition = None
    for prefix in prefixes:
        in_range = (Locality.name >= prefix) & (Locality.name < prefix + "\U0010ffff")
        condition = in_range if condition is None else condition | in_range
    return condition


def resolve_locality(text: str) -> tuple[Locality | None, list[Locality]]:
    """The locality a label (or a name used by only one locality) names; else candidates."""
    text = clean_query(text, MAX_QUERY + 150)
    if not text:
        return None, []
    match = LABEL.match(text)
    if match:
        exact = list(
            Locality.select()
            .where(
                (Locality.name == match["name"])
                & (Locality.commune == match["commune"])
                & (Locality.voivodeship == match["voivodeship"])
            )
            .order_by(Locality.id)
            .limit(2)
        )
        if len(exact) == 1:
            return exact[0], []
        if exact:
            return None, exact
        text = match["name"]
    same_name = list(
        Locality.select()
        .where(_folded(Locality.name) == text.lower())
        .order_by(Locality.id)
        .limit(50)
    )
    if len(same_name) == 1:
        return same_name[0], []
    if same_name:
        return None, same_name
    return None, search_localities(text)


def resolve_locality_choice(text: str, choice: str = "") -> tuple[Locality | None, list[Locality]]:
    """The one locality the text names (or the candidate picked by id), else candidates."""
    if choice and choice.isdigit() and len(choice) < 12:
        picked = Locality.get_or_none(Locality.id == int(choice))
        if picked is not None:
            return picked, []
    found, candidates = resolve_locality(text)
    return found, list(candidates)


# --- added by hand ----------------------------------------------------------------------------


class LocalityExists(ValueError):
    """The same locality (name, commune, voivodeship) is already in the dictionary."""


def add_locality(name: str, commune: str, county: str, voivodeship: str) -> Locality:
    """A patient's village missing from the dictionary, typed in by staff (no SIMC code)."""
    with db.atomic():
        clash = Locality.select().where(
            (Locality.name == name)
            & (Locality.commune == commune)
            & (Locality.voivodeship == voivodeship)
        )
        if clash.exists():
            raise LocalityExists(name)
        return Locality.create(name=name, commune=commune, county=county, voivodeship=voivodeship)
