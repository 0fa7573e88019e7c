from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("phone/", views.phone_sign_in, name="phone-sign-in"),
    path("phone/code/", views.phone_verify, name="phone-verify"),
    path("phone/code.json", views.phone_code_json, name="phone-code-json"),
    path("phone/verify.json", views.phone_verify_json, name="phone-verify-json"),
    path("me/", views.my_data, name="my-data"),
    path("me/data.json", views.my_data_download, name="my-data-download"),
    path("me/delete/", views.my_account_delete, name="my-account-delete"),
]
