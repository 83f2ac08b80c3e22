"""Routes of "Moje konto"."""
