"""An .eml file is written once per message: a job that runs again after a worker died between
writing the file and committing (kill -9) finds it and writes no second copy."""

from __future__ import annotations

from email.message import EmailMessage

from coursehost.domain.mail.delivery import write_eml


def _message(message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["To"], msg["Subject"], msg["Message-ID"] = "pat@example.com", "Hello", message_id
    msg.set_content("Hello")
    return msg


def test_the_same_message_is_written_once(tmp_path):
    first = write_eml(tmp_path, _message("<a1@example.com>"), 7)
    again = write_eml(tmp_path, _message("<a1@example.com>"), 7)
    assert again == first and [p.name for p in tmp_path.glob("*.eml")] == [first.name]


def test_another_message_with_the_same_number_is_still_written(tmp_path):
    # a database recreated over an old data directory numbers its messages from 1 again
    old = tmp_path / "20000101T000000-1.eml"
    old.write_bytes(_message("<old@example.com>").as_bytes())
    new = write_eml(tmp_path, _message("<new@example.com>"), 1)
    assert new != old and sorted(p.name for p in tmp_path.glob("*.eml")) == sorted([old.name, new.name])
