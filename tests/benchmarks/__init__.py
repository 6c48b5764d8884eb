"""The benchmark of `make bench` (not a test suite: pytest does not collect this folder). See README.md here."""
