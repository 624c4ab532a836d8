"""Tenants and who may see them: roles, access, credentials, secrets, audit, services."""
