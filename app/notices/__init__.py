"""Policy and notice pages (政策 / 公告) that the operator publishes for everyone."""
