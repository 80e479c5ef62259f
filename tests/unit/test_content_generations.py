"""Content keys with a generation, and which answers may be cached as immutable (player/content.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coursehost.player import content, page

KEY = "instance-key-" + "x" * 40
AT = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


def test_a_content_key_names_the_version_and_optionally_a_generation():
    assert page.read_content_key(KEY, page.content_key(KEY, 12)) == (12, None)
    assert page.read_content_key(KEY, page.content_key(KEY, 12, 7)) == (12, 7)
    assert page.content_key(KEY, 12, 7) == page.content_key(KEY, 12) + "-g7"
    good = page.content_key(KEY, 12)
    for bad in (good + "-7", good + "-g", good + "-gx", good + "-g-1", good + "-g" + "9" * 11,
                page.content_key(KEY, 13).replace("13-", "12-"), page.content_key("other" + KEY, 12, 1)):
        assert page.read_content_key(KEY, bad) is None, bad


def test_only_the_current_generation_of_a_file_not_newer_than_it_is_immutable():
    file = content.ContentFile("a.js", 10, AT, '"t"')
    assert content.cache_control(file, requested=3, current=3, changed=AT) == content.IMMUTABLE
    assert content.cache_control(file, requested=3, current=3, changed=AT + timedelta(seconds=1)) == content.IMMUTABLE
    # written after the generation began: a write whose transaction has not committed, or a stale cache
    assert content.cache_control(file, requested=3, current=3, changed=AT - timedelta(microseconds=1)) == "no-cache"
    assert content.cache_control(file, requested=3, current=3, changed=None) == "no-cache"
    assert content.cache_control(file, requested=2, current=3, changed=AT) == "no-cache"  # an old generation
    assert content.cache_control(file, requested=4, current=3, changed=AT) == "no-cache"  # not (yet) known here
    assert content.cache_control(file, requested=None, current=3, changed=AT) == "private, max-age=300"


def test_a_file_time_from_stat_is_never_later_than_its_mtime():
    class Stat:
        st_size, st_mtime_ns = 5, 1_765_000_000_123_456_999  # a float would round the microseconds up
    file = content.ContentFile.from_stat("a.js", Stat())
    assert file.modified == datetime(2025, 12, 6, 5, 46, 40, 123456, tzinfo=UTC)
