"""core.filters.options: the `<option>`s of a filter, escaped, the chosen one marked."""

from types import SimpleNamespace as Item

from core.filters import options


def test_options_escape_mark_the_selected_and_read_dicts_too():
    items = [Item(id=1, name="<b>Kardiologia</b>"), {"id": 2, "name": "Okulista"}]
    html = str(options(items, 2))
    assert html == (
        '<option value="1">&lt;b&gt;Kardiologia&lt;/b&gt;</option>'
        '<option value="2" selected>Okulista</option>'
    )


def test_a_shared_list_is_kept_per_selection_and_a_fresh_list_is_read_again():
    shared = [Item(id=1, display_name="lek. Anna Nowak"), Item(id=2, display_name="lek. Jan Kos")]
    first = options(shared, 1, "display_name", shared=True)
    assert options(shared, 1, "display_name", shared=True) is first
    assert 'value="2" selected' in options(shared, 2, "display_name", shared=True)
    fresh = [Item(id=1, display_name="lek. Anna Nowak-Kowalska")]
    assert "Nowak-Kowalska" in options(fresh, 1, "display_name")
    assert "Nowak-Kowalska" in options(list(fresh), 1, "display_name", shared=True)
