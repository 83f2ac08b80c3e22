"""Templates' `_()` (core/jinja_gettext.py): the request's language, Jinja's newstyle rules."""

from flask import render_template_string
from flask_babel import force_locale


def test_underscore_translates_escapes_values_and_formats_like_jinja(app):
    with app.test_request_context("/"):
        html = render_template_string(
            '{{ _("Liczba wolnych terminów: %(num)d.", num=3) }}|{{ _("100%%") }}|'
            '{{ _("Zalogowano:") }} {{ _("%(x)s", x="<b>") }}'
        )
        assert html == "Liczba wolnych terminów: 3.|100%|Zalogowano: &lt;b&gt;"
        with force_locale("en"):
            assert render_template_string('{{ _("Zalogowano:") }}') == "Logged in:"


def test_values_are_not_escaped_where_autoescape_is_off(app):
    with app.test_request_context("/"):
        text = render_template_string(
            '{% autoescape false %}{{ _("%(x)s", x="<b>") }}{% endautoescape %}'
        )
        assert text == "<b>"


def test_trans_blocks_and_plural_forms(app):
    with app.test_request_context("/"):
        text = render_template_string(
            "{{ ngettext('%(num)d termin', '%(num)d terminy', 2) }}|"
            "{% trans %}Zalogowano:{% endtrans %}"
        )
        assert text == "2 terminy|Zalogowano:"
