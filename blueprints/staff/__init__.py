"""Clinic staff: schedules and slot generation (staff pages come in a later issue)."""
