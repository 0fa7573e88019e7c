"""The officer pages of the supervision list (``supervision``) and the accountability list
(``accountability``); each module declares its own ``urlpatterns``."""
