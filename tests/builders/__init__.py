"""In-code course package builders for tests."""
