"""From many boards to one backlog: pure pandas steps (DataFrame in, DataFrame out, no I/O)."""
