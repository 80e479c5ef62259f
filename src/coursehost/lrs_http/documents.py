"""xAPI documents resource(s)."""
