"""The OAuth 1.0a nonces of signed LRS requests (RFC 5849 §3.3), in the database (lrs_oauth_nonce), so
that a captured request replayed to any serving process is refused: the first use inserts the nonce,
and the unique constraint makes any later use a conflict. Rows are kept until their timestamp leaves
the accepted window (the timestamp check then refuses a replay by itself) and swept now and then."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.models.shared_state import LrsOauthNonce

#: expired nonces are swept on about one signed request in this many (a delete each time would contend)
SWEEP_EVERY = 50
_MAX = 255


class DatabaseNonces:
    """first_use(key, timestamp, nonce, now) for oauth1.verify, over the LRS of application APP_ID;
    WINDOW is how far (seconds) a timestamp may be from now and still be accepted."""

    def __init__(self, session_factory: sessionmaker[Session], *, app_id: str, window: float):
        self.session_factory = session_factory
        self.app_id = app_id
        self.window = window

    def first_use(self, key: str, timestamp: str, nonce: str, now: float) -> bool:
        """True the first time (KEY, TIMESTAMP, NONCE) is seen on this LRS; False for a replay."""
        expires = datetime.fromtimestamp(int(timestamp), UTC) + timedelta(seconds=self.window + 60)
        row = LrsOauthNonce(consumer_key=f"{self.app_id}:{key}"[:_MAX], timestamp=int(timestamp),
                            nonce=nonce[:_MAX], expires=expires)
        with self.session_factory() as session:
            if random.randrange(SWEEP_EVERY) == 0:
                session.execute(delete(LrsOauthNonce).where(
                    LrsOauthNonce.expires < datetime.fromtimestamp(now, UTC)))
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True
