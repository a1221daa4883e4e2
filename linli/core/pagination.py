"""API lists come in pages: `?page=` (a number, or `last`) and `?page_size=` (1–200, default 50). A page
past the end, a page size out of range or anything that is not a number is a 400 whose JSON body says
what is allowed — never a bare 404 that hides the reason, never a 500, never the whole table.

The count is capped (decision 0026): a page counts the rows in scope only up to COUNT_CAP or the end of
the page asked, whichever is further, plus one. Below that the `count` is exact; above it `count` is a
lower bound and `count_is_exact` is false. A list of a million rows in scope then costs what its first
pages show, not a COUNT(*) over the million; `page=last` still counts them all (it must know the end)."""

from django.core.paginator import EmptyPage, Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

MAX_PAGE_SIZE = 200
COUNT_CAP = 1000


def _whole(raw: str, *, low: int, high: int) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= len(str(high)) and low <= int(raw) <= high else None


class CappedPaginator(Paginator):
    """A paginator that counts at most `limit` rows: `count` is exact when fewer are there
    (`count_is_exact`), otherwise it is `limit`, a lower bound. `limit=None` counts them all."""

    def __init__(self, object_list, per_page, *, limit: int | None = None, count_source=None):
        super().__init__(object_list, per_page)
        self.limit = limit
        # The same rows without the page's columns (a lean list's values() joins every relation it
        # shows; the count needs none of them): counted instead of object_list when given.
        self.count_source = count_source

    @cached_property
    def count(self):
        if self.limit is None or not hasattr(self.object_list, "query"):
            return super().count
        # The first `limit` rows in any order are as many as in the page's order: counting them
        # unordered spares the database sorting the whole scope for a number.
        # Only the key is counted: a values() page's other columns and joins (the lean lists), a model
        # list's counted annotations (`row_count`: subqueries a row) and select_related joins are not.
        rows = (self.object_list if self.count_source is None else self.count_source).order_by()
        if not rows.query.combinator:
            rows = rows.values("pk")
        return rows[:self.limit].count()

    @property
    def count_is_exact(self) -> bool:
        return self.limit is None or not hasattr(self.object_list, "query") or self.count < self.limit

    @property
    def count_floor(self) -> int:
        """The exact count, or when capped the number there are more than."""
        return self.count if self.count_is_exact else self.count - 1


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    count_cap = COUNT_CAP

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _whole(raw, low=1, high=MAX_PAGE_SIZE)
        if size is None:
            raise ValidationError({self.page_size_query_param: [
                _("Give a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]})
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param) or "1"
        last = raw in self.last_page_strings
        number = None if last else _whole(raw, low=1, high=10**9)
        if number is None and not last:
            raise ValidationError({self.page_query_param: [_("Give a page number from 1 on, or “last”.")]})
        # One row past the page asked (or past the cap) tells whether a next page exists.
        limit = None if last else max(self.count_cap, number * size) + 1
        paginator = CappedPaginator(queryset, size, limit=limit, count_source=getattr(view, "lean_count_source", None))
        if last:
            number = paginator.num_pages
        try:
            self.page = paginator.page(number)
        except EmptyPage as exc:
            raise ValidationError({self.page_query_param: [
                _("There is no page %(page)d; the last page is %(last)d.")
                % {"page": number, "last": paginator.num_pages}]}) from exc
        return list(self.page)

    def get_paginated_response(self, data):
        return Response({
            "count": self.page.paginator.count,
            "count_is_exact": self.page.paginator.count_is_exact,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            f"Rows in the list. Counted up to {self.count_cap} rows or the end of the page asked, whichever "
            "is further, plus one: when there are more, this is a lower bound and count_is_exact is false "
            "(page=last counts them all).")
        answer["properties"] = {"count": answer["properties"]["count"],
                                "count_is_exact": {"type": "boolean", "example": True,
                                                   "description": "False when count is a lower bound."},
                                **{k: v for k, v in answer["properties"].items() if k != "count"}}
        answer["required"] = ["count", "count_is_exact", "results"]
        return answer
