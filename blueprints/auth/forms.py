"""Login form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired(_l("Podaj login.")), Length(max=64)])
    password = PasswordField(
        _l("Hasło"), validators=[DataRequired(_l("Podaj hasło.")), Length(max=128)]
    )
