"""Every list a page shows is a page of it: a bounded number of rows, the total, and a way on.

`page_of(request, rows)` is the one way views cut a list: `?page=` past the end gives the last page and
anything that is not a number the first (never a 500, never the whole table). The total is counted up
to COUNT_CAP rows or the end of the page asked, whichever is further, as on the API (decision 0026):
a county's 100,000 households cost a page what 1,000 cost, and the page says "more than 1,000"
(`paginator.count_is_exact`, `{{ page|total }}`). `search_text(request)` is the one way they read a
search box: stripped and cut to a length an index can use.

`page_of(request, rows, details=fn)` chooses the page from the rows' keys alone and reads only that
page's rows in full (`fn(keys)`): the list's scope, filters and order without its joins and counted
annotations (a late row lookup). The database then sorts a few hundred keys for a page, not a few
hundred wide rows joined to everything a card shows.
"""

from django.core.paginator import Page
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from linli.core import pagination

PAGE_SIZE = 30
SEARCH_MAX = 100  # longer than any name, address or ID number anyone types; a 10,000-character q is cut


def page_of(request, rows, *, per_page: int = PAGE_SIZE, param: str = "page", details=None) -> Page:
    raw = request.GET.get(param, "")
    if not raw.isdigit() or int(raw) < 1:
        number = 1
    else:  # past the end, a 40-digit number included, is the last page (Django's get_page)
        number = min(int(raw), 10**9)
    limit = max(pagination.COUNT_CAP, number * per_page) + 1 if hasattr(rows, "query") else None
    if details is None:
        return pagination.CappedPaginator(rows, per_page, limit=limit).get_page(number)
    keys = rows.select_related(None).values_list("pk", flat=True)
    page = pagination.CappedPaginator(keys, per_page, limit=limit).get_page(number)
    shown = list(page.object_list)
    by_key = {row.pk: row for row in details(shown)}
    page.object_list = [by_key[k] for k in shown if k in by_key]  # in the list's order
    return page


def search_text(request, param: str = "q") -> str:
    return request.GET.get(param, "").strip()[:SEARCH_MAX]


def row_count(model, link: str, **condition):
    """How many `model` rows point at each row of a list through `link` (meeting `condition`), as a
    correlated subquery: the database counts them for the rows a page shows, after ORDER BY and LIMIT,
    instead of joining and grouping the related rows of everything in scope before taking a page."""
    rows = (model.objects.filter(**{link: OuterRef("pk")}, **condition).order_by()
            .values(link).annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
