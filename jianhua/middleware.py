from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChineseFirstLocaleMiddleware:
    """Activate the language the user chose (language cookie), else zh-hans.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which would show the
    district's cadres English whenever their phone is set to English. Here Chinese is the default
    and English is a choice made with the switch on every page (Django's set_language view).
    An API client may still ask for English explicitly with ``?lang=en``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        translation.deactivate()
        return response
