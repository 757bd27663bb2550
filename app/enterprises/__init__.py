"""Enterprises (the registry), regions and industries."""
