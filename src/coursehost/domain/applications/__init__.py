"""Tenancy: realms, applications, credentials, and who is calling."""
