"""Migrations as databases: chains of jobs per (tenant, target instance, database), their states in words, the pages and CLI presenter, and how complete the picture is."""
