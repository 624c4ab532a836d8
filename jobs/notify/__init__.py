"""Notifications: channels, rules, watches, subscriptions, digests and the delivery outbox."""
