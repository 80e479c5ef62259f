"""xAPI agents resource(s)."""
