"""The bell in the header, the notifications page and the API: each user sees their own, and only theirs."""
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from notifications import services
from notifications.models import Notification
from tests.factories import api_as

pytestmark = pytest.mark.django_db


def tell(person, count=1, start=0):
    for n in range(start, start + count):
        services.notify([person], kind="submit", text=f"第{n}号吹哨等待受理", link=f"/issues/JH-{n}/",
                        dedupe_key=f"fact:{person.pk}:{n}")
    return list(Notification.objects.filter(recipient=person).order_by("-created_at", "-id"))


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# The bell -----------------------------------------------------------------------------------------------

def test_the_bell_shows_for_signed_in_users_and_fetches_its_count(signed_in, resident, community_staff):
    page = html(signed_in(resident).get("/whistle/mine/"))
    assert 'class="bell"' in page and 'data-unread-url="/api/v1/notifications/unread-count/"' in page
    assert 'href="/notifications/"' in page and "notifications/bell.js" in page
    assert 'class="bell"' not in html(Client().get("/"))
    tell(community_staff, 3)
    assert signed_in(community_staff).get("/api/v1/notifications/unread-count/").json() == {"unread": 3}
    assert signed_in(resident).get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    assert Client().get("/api/v1/notifications/unread-count/").status_code in (401, 403)


# The page ------------------------------------------------------------------------------------------------

def test_the_page_lists_my_notifications_newest_first_unread_highlighted(signed_in, community_staff, street_staff):
    mine = tell(community_staff, 3)
    tell(street_staff, 1, start=100)
    services.notification_mark_read(user=community_staff, notification_id=mine[-1].pk)
    page = html(signed_in(community_staff).get("/notifications/"))
    items = re.findall(r'<li class="notification( is-unread)?" data-id="(\d+)"', page)
    assert [int(pk) for _unread, pk in items] == [n.pk for n in mine]
    assert [bool(unread) for unread, _pk in items] == [True, True, False]
    assert "第100号" not in page  # someone else's
    assert 'href="/issues/JH-0/"' in page  # read: a plain link to the issue
    assert 'id="mark-all-read"' in page


def test_the_page_is_paged(signed_in, community_staff):
    tell(community_staff, 25)
    first = html(signed_in(community_staff).get("/notifications/"))
    second = html(signed_in(community_staff).get("/notifications/?page=2"))
    assert first.count('<li class="notification') == 20 and second.count('<li class="notification') == 5
    assert "第24号" in first and "第0号" in second


def test_an_empty_page_says_so(signed_in, resident):
    page = html(signed_in(resident).get("/notifications/"))
    assert 'id="no-notifications"' in page and 'id="mark-all-read"' not in page
    assert Client().get("/notifications/").status_code == 302  # to sign in


# session, account, count, one page of rows, unread count
PAGE_QUERIES = 5


@pytest.mark.parametrize("count", [2, 12])
def test_the_page_costs_the_same_queries_whatever_it_holds(signed_in, community_staff, count,
                                                            django_assert_num_queries):
    tell(community_staff, count)
    client = signed_in(community_staff)
    with django_assert_num_queries(PAGE_QUERIES):
        page = html(client.get("/notifications/"))
    assert page.count('<li class="notification') == count


def test_opening_an_unread_notification_marks_it_read_and_goes_to_the_issue(signed_in, community_staff):
    [note] = tell(community_staff)
    client = signed_in(community_staff)
    response = client.post(f"/notifications/{note.pk}/read/", {"next": note.link})
    assert response.status_code == 302 and response["Location"] == "/issues/JH-0/"
    note.refresh_from_db()
    assert note.read_at is not None
    # Elsewhere than this site: back to the list instead.
    [other] = [n for n in tell(community_staff, 1, start=1) if n.read_at is None]
    response = client.post(f"/notifications/{other.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_mark_all_read(signed_in, community_staff, street_staff):
    tell(community_staff, 3)
    tell(street_staff, 2, start=10)
    response = signed_in(community_staff).post("/notifications/read-all/", follow=True)
    assert Notification.objects.filter(recipient=community_staff, read_at=None).count() == 0
    assert Notification.objects.filter(recipient=street_staff, read_at=None).count() == 2
    assert 'id="mark-all-read"' not in html(response)


def test_marking_read_needs_a_post_with_the_csrf_token_and_my_own_notification(community_staff, street_staff):
    [note] = tell(community_staff)
    client = Client(enforce_csrf_checks=True)
    client.force_login(community_staff)
    assert client.get(f"/notifications/{note.pk}/read/").status_code == 405
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 403  # no token
    page = html(client.get("/notifications/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(f"/notifications/{note.pk}/read/", {"csrfmiddlewaretoken": token}).status_code == 302
    other = Client()
    other.force_login(street_staff)
    assert other.post(f"/notifications/{note.pk}/read/").status_code == 404


# The API -------------------------------------------------------------------------------------------------


def test_the_api_lists_my_own_newest_first_and_filters_unread(community_staff, street_staff):
    mine = tell(community_staff, 3)
    tell(street_staff, 2, start=10)
    services.notification_mark_read(user=community_staff, notification_id=mine[0].pk)
    body = api_as(community_staff).get("/api/v1/notifications/").json()
    assert body["count"] == 3 and [n["id"] for n in body["results"]] == [n.pk for n in mine]
    first = body["results"][0]
    assert set(first) == {"id", "kind", "text", "link", "issue", "created_at", "read_at", "unread"}
    assert first["unread"] is False and body["results"][1]["unread"] is True
    unread = api_as(community_staff).get("/api/v1/notifications/", {"unread": "true"}).json()
    assert [n["id"] for n in unread["results"]] == [n.pk for n in mine[1:]]
    assert api_as(community_staff).get("/api/v1/notifications/unread-count/").json() == {"unread": 2}


def test_the_api_never_shows_or_marks_someone_elses(community_staff, street_staff):
    [note] = tell(community_staff)
    assert api_as(street_staff).get("/api/v1/notifications/").json()["count"] == 0
    assert api_as(street_staff).get(f"/api/v1/notifications/{note.pk}/").status_code == 404
    assert api_as(street_staff).post(f"/api/v1/notifications/{note.pk}/read/").status_code == 404
    assert api_as(street_staff).post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    note.refresh_from_db()
    assert note.read_at is None
    assert APIClient().get("/api/v1/notifications/").status_code in (401, 403)


def test_the_api_marks_read_with_a_token(community_staff):
    notes = tell(community_staff, 3)
    token = APIClient().post("/api/v1/auth/token/", {"username": "community_staff", "password": "test-password-1"},
                             format="json").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    read = client.post(f"/api/v1/notifications/{notes[0].pk}/read/").json()
    assert read["id"] == notes[0].pk and read["unread"] is False and read["read_at"]
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


@pytest.mark.parametrize("count", [2, 12])
def test_the_api_list_costs_the_same_queries_whatever_it_holds(community_staff, count, django_assert_num_queries):
    tell(community_staff, count)
    client = api_as(community_staff)
    with django_assert_num_queries(2):  # count, one page of rows
        assert len(client.get("/api/v1/notifications/").json()["results"]) == count


def test_the_schema_describes_every_notification_call():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path in ["/api/v1/notifications/", "/api/v1/notifications/{id}/", "/api/v1/notifications/{id}/read/",
                 "/api/v1/notifications/read-all/", "/api/v1/notifications/unread-count/"]:
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/notifications/"]["get"]["parameters"]}
    assert {"unread", "page", "page_size"} <= parameters
