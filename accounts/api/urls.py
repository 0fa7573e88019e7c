from django.urls import path

from . import views

urlpatterns = [
    path("auth/phone/code/", views.PhoneCodeView.as_view(), name="api-phone-code"),
    path("auth/phone/token/", views.PhoneTokenView.as_view(), name="api-phone-token"),
    path("me/data/", views.MyDataView.as_view(), name="api-my-data"),
]
