"""Use cases. Each function receives a SQLModel Session and plain values; none imports Flask."""
