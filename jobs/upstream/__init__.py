"""Calling a tenant's cloud: client, endpoint guard, IAM tokens, single flight, limits, errors."""
