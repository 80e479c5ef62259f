"""Hand-written fuzz corpus for the LRS and the player endpoints (tests/contract/test_fuzz_corpus.py)."""
