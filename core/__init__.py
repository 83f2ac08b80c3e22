"""Shared infrastructure: configuration, extensions, mail, time, htmx helpers."""
