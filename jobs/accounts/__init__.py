"""People: sign-in with its lockout, the cached signed-in user, preferences."""
