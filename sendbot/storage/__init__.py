"""Storage: models, the database, units of work and repositories."""
