"""From many boards to one backlog: pandas steps (DataFrame in, DataFrame out), no database and no
network; the one read from disk is embedding.py loading the shipped models (ADR 0003)."""
