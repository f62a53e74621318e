from django.urls import re_path

from accounts.api import views

# Every path answers with or without its final slash (mobile clients get this wrong).
urlpatterns = [
    re_path(r"^auth/otp/request/?$", views.OtpRequestView.as_view(), name="otp-request"),
    re_path(r"^auth/otp/verify/?$", views.OtpVerifyView.as_view(), name="otp-verify"),
    re_path(r"^auth/token/refresh/?$", views.TokenRefreshView.as_view(), name="token-refresh"),
    re_path(r"^auth/logout/?$", views.LogoutView.as_view(), name="logout"),
    re_path(r"^auth/me/?$", views.MeView.as_view(), name="me"),
    re_path(r"^users/?$", views.UserListView.as_view(), name="user-list"),
]
