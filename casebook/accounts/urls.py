"""Web routes of sign-in, the password and the user's own API tokens."""

from __future__ import annotations

from django.urls import path

from casebook.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("security-events/", views.security_events, name="security_events"),
    path("history/<slug:kind>/<int:pk>/", views.object_history, name="object_history"),
]
