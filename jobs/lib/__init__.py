"""Helpers without a domain: cache locks and counters, text safe for terminals and logs."""
