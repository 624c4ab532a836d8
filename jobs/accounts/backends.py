"""The signed-in user from the cache, so a poll does not read the user table every time.

The cached copy is dropped whenever the user row is saved or deleted (password, is_active,
permissions), so it is never staler than the database.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

SECONDS = 300


def _key(user_id) -> str:
    return f"user:{user_id}"


class CachedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from jobs.accounts.passwords import local_password_allowed

        name = username if username is not None else kwargs.get("username")
        if name is not None and not local_password_allowed(name):
            return None  # LOCAL_PASSWORDS=off: this person signs in through the provider
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user = cache.get(_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(_key(user_id), user, SECONDS)
        return user


def forget(sender, instance, **kwargs) -> None:
    cache.delete(_key(instance.pk))


post_save.connect(forget, sender=get_user_model(), dispatch_uid="signed_in_users.saved")
post_delete.connect(forget, sender=get_user_model(), dispatch_uid="signed_in_users.deleted")
