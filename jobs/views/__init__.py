"""The HTML views, thin: an access policy, then a selector or service, then a template."""
