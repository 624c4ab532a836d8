from tests.notify.conftest import _notify_settings, smtp  # noqa: F401  (the real SMTP server)
