"""How long the platform keeps what it records, and the job that applies it."""
