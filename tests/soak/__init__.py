"""The soak: a bounded load on the real server, run by hand (`python -m tests.soak.soak`), not by pytest."""
