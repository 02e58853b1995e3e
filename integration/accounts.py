"""How allauth behaves in Tandem: staff accounts only, brute-force limit per account."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": (
            "Too many failed login attempts for this account. Wait 5 minutes and try "
            "again, or reset your password."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Staff accounts are created by an administrator, never by visitors.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # One budget per account, whether the attacker types its e-mail or its username.
        login = credentials.get("email") or credentials.get("username") or ""
        user_model = get_user_model()
        user_id = (
            user_model._default_manager.filter(Q(username__iexact=login) | Q(email__iexact=login))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
            if login
            else None
        )
        if user_id is not None:
            return f"user:{user_id}"
        return super()._get_login_attempts_cache_key(request, **credentials)
