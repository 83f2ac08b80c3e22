"""The staff side (registrar, doctor, admin): the agenda, schedules and the registration desk.
Every route checks the role on the server with core.roles.role_required."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import patients, queues, schedules, views, visits  # noqa: E402,F401
