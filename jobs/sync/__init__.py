"""The background sync: a local mirror of every tenant's jobs, within a call budget."""
