"""Routes of reserving a slot."""
