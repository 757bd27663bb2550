"""Landing page, role home pages and health checks."""
