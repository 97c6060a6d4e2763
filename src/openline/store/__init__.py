"""Persistence: SQLAlchemy Core tables, the one writer path, Alembic migrations."""
