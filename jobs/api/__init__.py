"""The organisation's door for scripts: personal API tokens and the read API under /api/v1/."""
