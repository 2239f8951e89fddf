"""Serializers of the API machinery itself: the error document and the token exchange."""

from __future__ import annotations

from rest_framework import serializers


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The input field, dotted for nested ones.")
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """`{type, code, detail, errors: [{field, code, message}]}` for every failure."""

    type = serializers.CharField(help_text="validation_error, not_found, conflict, …")
    code = serializers.CharField(help_text="The precise, stable reason.")
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True)
    current = serializers.CharField(
        required=False, help_text="A refused transition: the object's current state."
    )
    requested = serializers.CharField(
        required=False, help_text="A refused transition: the transition asked for."
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.Serializer):
    """One of the caller's tokens as listed: never the token itself (it is not stored)."""

    id = serializers.IntegerField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_because = serializers.CharField(allow_blank=True)
