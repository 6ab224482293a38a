"""SQLAlchemy models, repositories and the unit of work; the same code on SQLite and PostgreSQL."""
