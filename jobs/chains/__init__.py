"""Migrations as databases: chains of jobs, their states in words, pages and CLI presenter."""
