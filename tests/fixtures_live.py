"""Fixtures for browser tests: a live server and Chromium pages (JS on and off)."""
