"""Routes of the slot search."""
