"""Persistence: SQLAlchemy 2 models, Alembic migrations and the one repository the service uses."""
