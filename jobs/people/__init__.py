"""People: one's own email address (confirmed by a link before anything is sent to it), the
language and time zone kept on the account, and what superusers and tenant admins do for others
(invite by email, a password reset email, deactivate). Every change is audited."""
