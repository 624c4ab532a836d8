"""Template tags and filters: values in words, badges, the notification controls."""
