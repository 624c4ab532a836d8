"""What every page shares: middleware, template context, error pages, safe error reports."""
