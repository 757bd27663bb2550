"""The data access log: every attempt by a bank user to read an enterprise's data."""
