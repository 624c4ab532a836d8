"""People: sign-in and its lockout, preferences kept on the account, one's email, invitations."""
