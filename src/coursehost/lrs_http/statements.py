"""xAPI statements resource(s)."""
