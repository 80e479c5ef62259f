"""Console accounts: users and their roles per realm (`users.py`), passwords and sign-in with lock-out
(`signin.py`), server-side sessions and one-time sign-in links (`sessions.py`). The console's routes
and the CLI call these; nothing here knows HTTP."""
