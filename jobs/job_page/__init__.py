"""One job as its page shows it: the live state, its facts in words, value formatting."""
