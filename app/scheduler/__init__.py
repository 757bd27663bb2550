"""Scheduled jobs: one `flask scheduler run` process, guarded by a database lease."""
