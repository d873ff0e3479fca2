"""Local stand-ins for what Railway and Neon provide: a real PostgreSQL, a real PgBouncer, a rehearsal."""
