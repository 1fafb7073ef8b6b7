"""Pure-Python domain rules of evalsys: no Flask, no SQLAlchemy, testable with literals."""
