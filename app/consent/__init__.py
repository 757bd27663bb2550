"""Authorizations (双授权): collection by the platform, query by a named bank."""
