"""Notifications: channels (Apprise URLs, encrypted), rules, watches and personal subscriptions,
and an outbox of deliveries written with each job event and sent by workers."""
