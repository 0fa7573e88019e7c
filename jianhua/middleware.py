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


class RefuseNulCharactersMiddleware:
    """Answer 400 to a request with a NUL character in its path, its query string or its form fields.

    No text of this site may hold one, and PostgreSQL refuses it in every text column and every
    query (SQLite takes it), so a NUL that reached a lookup – an issue number in a URL, a ``?grid=``
    read without a form – answered 500 on PostgreSQL only. Forms already refuse NUL field by field
    (Django's ProhibitNullCharactersValidator); this one check covers what no form reads (a grid code or an
    issue number posted beside a form). Files are
    not looked at (a photo holds NUL bytes). A view that answers bad input in a shape of its own
    (Open311's error list) is marked ``answers_nul_characters = True`` and checks for itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "answers_nul_characters", False):
            return None
        where = self._nul_in(request, view_args, view_kwargs)
        if where is None:
            return None
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        message = _("The request was refused: %(where)s contains a NUL character.") % {"where": where}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "field": where}, status=400)
        return render(request, "bad_request.html", {"message": message}, status=400)

    @staticmethod
    def _nul_in(request, view_args, view_kwargs) -> str | None:
        if "\x00" in request.path_info or any("\x00" in str(value) for value in (*view_args, *view_kwargs.values())):
            return "URL"
        # A browser cannot type a NUL into a form: a posted one is a forged request, refused whole.
        sources = [request.GET]
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                                  "multipart/form-data"):
            sources.append(request.POST)
        for source in sources:
            for name, values in source.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return name.replace("\x00", "")[:40] or "?"
        return None
