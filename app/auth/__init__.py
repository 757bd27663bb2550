"""Accounts, roles, logins and API tokens."""
