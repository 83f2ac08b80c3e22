"""The localities dictionary: importing SIMC/TERC and Wizyta CSVs, searching, resolving labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.clinic import Locality
from services.localities import (
    VOIVODESHIPS,
    LocalityImportError,
    import_localities,
    resolve_locality,
    search_localities,
)

ROOT = Path(__file__).resolve().parents[2]
SIMC_HEADER = "WOJ;POW;GMI;RODZ_GMI;RM;MZ;NAZWA;SYM;SYMPOD;STAN_NA"
TERC_HEADER = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA"

SIMC_ROWS = [
    "14;18;05;3;96;1;Piaseczno;0921410;0921410;2025-01-01",
    "14;18;05;3;01;1;Józefosław;0005410;0005410;2025-01-01",
    "14;18;05;3;00;1;Osiedle Zielone;0005411;0921410;2025-01-01",
    "14;65;01;1;96;1;Warszawa;0918123;0918123;2025-01-01",
    "10;61;01;1;96;1;Łódź;0958063;0958063;2025-01-01",
]
TERC_ROWS = [
    "14;;;;MAZOWIECKIE;województwo;2025-01-01",
    "14;18;;;piaseczyński;powiat;2025-01-01",
    "14;18;05;3;Piaseczno;gmina miejsko-wiejska;2025-01-01",
    "14;18;05;4;Piaseczno;miasto;2025-01-01",
    "14;65;;;Warszawa;miasto stołeczne, na prawach powiatu;2025-01-01",
    "14;65;01;1;Warszawa;gmina miejska, miasto stołeczne;2025-01-01",
    "10;61;;;Łódź;miasto na prawach powiatu;2025-01-01",
    "10;61;01;1;Łódź;gmina miejska;2025-01-01",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def simc(tmp_path):
    return write(tmp_path / "SIMC_Urzedowy.csv", [SIMC_HEADER, *SIMC_ROWS])


@pytest.fixture
def terc(tmp_path):
    return write(tmp_path / "TERC_Urzedowy.csv", [TERC_HEADER, *TERC_ROWS])


def wizyta_csv(tmp_path, rows: list[str]) -> Path:
    return write(tmp_path / "own.csv", ["name;commune;county;voivodeship;simc", *rows], "utf-8")


# --- the official SIMC layout -----------------------------------------------------------------


def test_simc_with_terc_imports_main_localities_with_commune_and_county_names(ctx, simc, terc):
    assert import_localities(simc, terc) == (4, 0)
    piaseczno = Locality.get(Locality.simc == "0921410")
    assert (piaseczno.name, piaseczno.commune, piaseczno.county, piaseczno.voivodeship) == (
        "Piaseczno",
        "Piaseczno",
        "piaseczyński",
        "mazowieckie",
    )
    warszawa = Locality.get(Locality.name == "Warszawa")
    assert warszawa.county == "m. Warszawa" and warszawa.voivodeship == "mazowieckie"
    assert Locality.get(Locality.name == "Łódź").voivodeship == "łódzkie"


def test_parts_of_localities_are_skipped(ctx, simc, terc):
    import_localities(simc, terc)
    assert not Locality.select().where(Locality.name == "Osiedle Zielone").exists()


def test_simc_without_terc_keeps_the_codes_for_commune_and_county(ctx, simc):
    import_localities(simc)
    piaseczno = Locality.get(Locality.simc == "0921410")
    assert (piaseczno.commune, piaseczno.county, piaseczno.voivodeship) == (
        "1418053",
        "1418",
        "mazowieckie",
    )


def test_importing_the_same_file_again_changes_nothing(ctx, simc, terc):
    import_localities(simc, terc)
    ids = sorted(Locality.select(Locality.id).tuples())
    assert import_localities(simc, terc) == (0, 0)
    assert sorted(Locality.select(Locality.id).tuples()) == ids


def test_a_later_terc_updates_names_in_place_by_simc_code(ctx, simc, terc):
    import_localities(simc)
    before = Locality.get(Locality.simc == "0921410").id
    assert import_localities(simc, terc) == (0, 4)
    after = Locality.get(Locality.simc == "0921410")
    assert after.id == before and after.commune == "Piaseczno"


def test_windows_1250_files_are_read(ctx, tmp_path):
    simc = write(tmp_path / "simc.csv", [SIMC_HEADER, SIMC_ROWS[4]], "cp1250")
    terc = write(tmp_path / "terc.csv", [TERC_HEADER, *TERC_ROWS[6:]], "cp1250")
    import_localities(simc, terc)
    lodz = Locality.get(Locality.simc == "0958063")
    assert (lodz.name, lodz.county, lodz.voivodeship) == ("Łódź", "m. Łódź", "łódzkie")


def test_all_sixteen_voivodeships_are_built_in():
    assert len(VOIVODESHIPS) == 16
    assert VOIVODESHIPS["02"] == "dolnośląskie" and VOIVODESHIPS["32"] == "zachodniopomorskie"


# --- Wizyta's own CSV ---------------------------------------------------------------------------


def test_own_csv_without_simc_upserts_by_name_commune_and_voivodeship(ctx, tmp_path):
    first = wizyta_csv(tmp_path, ["Sulejówek;Sulejówek;;mazowieckie;"])
    assert import_localities(first) == (1, 0)
    second = wizyta_csv(tmp_path, ["Sulejówek;Sulejówek;miński;mazowieckie;"])
    assert import_localities(second) == (0, 1)
    assert Locality.get(Locality.name == "Sulejówek").county == "miński"
    assert Locality.select().count() == 1


def test_bundled_dictionary_imports_with_correct_voivodeships(ctx):
    created, updated = import_localities(ROOT / "data" / "localities_pl.csv")
    assert created >= 300 and updated == 0
    assert {loc.voivodeship for loc in Locality.select()} == set(VOIVODESHIPS.values())
    expected = {
        "Warszawa": ("m. Warszawa", "mazowieckie"),
        "Kraków": ("m. Kraków", "małopolskie"),
        "Katowice": ("m. Katowice", "śląskie"),
        "Toruń": ("m. Toruń", "kujawsko-pomorskie"),
        "Piaseczno": ("piaseczyński", "mazowieckie"),
        "Pruszków": ("pruszkowski", "mazowieckie"),
        "Otwock": ("otwocki", "mazowieckie"),
    }
    for name, (county, voivodeship) in expected.items():
        loc = Locality.get(Locality.name == name)
        assert (loc.county, loc.voivodeship) == (county, voivodeship)
    assert import_localities(ROOT / "data" / "localities_pl.csv") == (0, 0)


def test_large_file_is_imported_in_batches(ctx, tmp_path):
    rows = [f"14;18;05;3;01;1;Wieś {n};{n:07d};{n:07d};2025-01-01" for n in range(1, 3001)]
    simc = write(tmp_path / "big.csv", [SIMC_HEADER, *rows])
    assert import_localities(simc) == (3000, 0)
    assert Locality.select().count() == 3000


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines, where",
    [
        (["id;nazwa", "1;Warszawa"], "line 1"),
        ([SIMC_HEADER, SIMC_ROWS[0], "14;18;05;3;96;1;Piaseczno"], "line 3"),
        ([SIMC_HEADER, "99;18;05;3;96;1;Nigdzie;0000001;0000001;2025-01-01"], "line 2"),
        ([SIMC_HEADER, "14;18;05;3;96;1;Piaseczno;92141;92141;2025-01-01"], "line 2"),
        (["name;commune;county;voivodeship;simc", ";Gmina;;mazowieckie;"], "line 2"),
        (["name;commune;county;voivodeship;simc", "A;B;C;mazowieckie;12ab"], "line 2"),
        ([""], "empty"),
    ],
)
def test_a_malformed_file_raises_one_line_naming_the_line(ctx, tmp_path, lines, where):
    path = write(tmp_path / "bad.csv", lines, "utf-8")
    with pytest.raises(LocalityImportError) as error:
        import_localities(path)
    message = str(error.value)
    assert where in message and "bad.csv" in message and "\n" not in message


def test_a_failed_import_leaves_the_dictionary_unchanged(ctx, tmp_path):
    bad = write(tmp_path / "bad.csv", [SIMC_HEADER, SIMC_ROWS[0], "x;y"], "utf-8")
    with pytest.raises(LocalityImportError):
        import_localities(bad)
    assert Locality.select().count() == 0


def test_a_wrong_terc_file_is_refused(ctx, simc, tmp_path):
    terc = write(tmp_path / "terc.csv", ["WOJ;NAZWA", "14;MAZOWIECKIE"])
    with pytest.raises(LocalityImportError, match="terc.csv, line 1"):
        import_localities(simc, terc)


# --- search and resolve ------------------------------------------------------------------------


@pytest.fixture
def dictionary(ctx):
    for name, commune, county, simc in [
        ("Łódź", "Łódź", "m. Łódź", "0958063"),
        ("Łodzia", "Rydzyna", "leszczyński", "0001001"),
        ("Łoś", "Prażmów", "piaseczyński", "0001002"),
        ("Łomianki", "Łomianki", "warszawski zachodni", "0001003"),
        ("Łomianki Dolne", "Łomianki", "warszawski zachodni", "0001004"),
        ("Nowa Wieś", "Kowala", "radomski", "0001005"),
        ("Nowa Wieś", "Przasnysz", "przasnyski", "0001006"),
        ("Ząbki", "Ząbki", "wołomiński", "0001007"),
        ("Zabki_test", "Test", "testowy", "0001008"),
        ("Łomża", "Łomża", "m. Łomża", "0001009"),
    ]:
        Locality.create(
            name=name, commune=commune, county=county, voivodeship="mazowieckie", simc=simc
        )


@pytest.mark.parametrize("query", ["łó", "ŁÓ", "Łó", "  łÓdŹ "])
def test_search_is_case_insensitive_for_polish_letters(dictionary, query):
    assert "Łódź" in [loc.name for loc in search_localities(query)]


def test_search_puts_the_exact_name_and_cities_first(dictionary):
    names = [loc.name for loc in search_localities("ło")]
    assert names == ["Łomża", "Łomianki", "Łoś", "Łodzia", "Łomianki Dolne"]
    assert [loc.name for loc in search_localities("łomianki")] == ["Łomianki", "Łomianki Dolne"]


def test_search_treats_like_wildcards_literally(dictionary):
    assert search_localities("%%") == []
    assert [loc.name for loc in search_localities("zabki_")] == ["Zabki_test"]


@pytest.mark.parametrize("query", ["", " ", "ł", "\x00\x00", None])
def test_empty_or_too_short_query_finds_nothing(dictionary, query):
    assert search_localities(query) == []


def test_search_respects_the_limit(dictionary):
    assert len(search_localities("ło", limit=2)) == 2


def test_resolve_by_label(dictionary):
    wies = Locality.get(Locality.simc == "0001006")
    assert resolve_locality(wies.label) == (wies, [])


def test_resolve_by_a_unique_name_in_any_case(dictionary):
    found, candidates = resolve_locality("ząbki")
    assert found.name == "Ząbki" and candidates == []


def test_resolve_an_ambiguous_name_gives_the_candidates(dictionary):
    found, candidates = resolve_locality("Nowa Wieś")
    assert found is None and {c.commune for c in candidates} == {"Kowala", "Przasnysz"}


def test_resolve_an_unknown_name_offers_prefix_matches(dictionary):
    found, candidates = resolve_locality("Łomi")
    assert found is None and [c.name for c in candidates] == ["Łomianki", "Łomianki Dolne"]
    assert resolve_locality("Atlantyda") == (None, [])
    assert resolve_locality("") == (None, [])


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_imports_simc_with_terc(app, runner, simc, terc):
    result = runner.invoke(args=["import-localities", str(simc), "--terc", str(terc)])
    assert result.exit_code == 0, result.output
    assert "4 new, 0 updated" in result.output
    result = runner.invoke(args=["import-localities", str(simc), "--terc", str(terc)])
    assert "0 new, 0 updated" in result.output


def test_cli_reports_a_malformed_file_in_one_line_without_traceback(app, runner, tmp_path):
    bad = write(tmp_path / "bad.csv", [SIMC_HEADER, SIMC_ROWS[0], "14;18;05"], "utf-8")
    result = runner.invoke(args=["import-localities", str(bad)])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "bad.csv, line 3" in lines[0]
    assert "Traceback" not in result.output and not isinstance(
        result.exception, LocalityImportError
    )
