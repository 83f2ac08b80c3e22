"""Routes of the patient panel."""
