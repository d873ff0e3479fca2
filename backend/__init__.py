"""Tasks API: FastAPI on Railway, PostgreSQL on Neon."""
