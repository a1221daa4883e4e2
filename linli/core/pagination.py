"""API lists come in pages: `?page=` (a number, or `last`) and `?page_size=` (1–200, default 50). A page
past the end, a page size out of range or anything that is not a number is a 400 whose JSON body says
what is allowed — never a bare 404 that hides the reason, never a 500, never the whole table."""

from django.core.paginator import EmptyPage
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


def _whole(raw: str, *, low: int, high: int) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= len(str(high)) and low <= int(raw) <= high else None


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

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
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        raw = request.query_params.get(self.page_query_param) or "1"
        number = paginator.num_pages if raw in self.last_page_strings else _whole(raw, low=1, high=10**9)
        if number is None:
            raise ValidationError({self.page_query_param: [_("Give a page number from 1 on, or “last”.")]})
        try:
            self.page = paginator.page(number)
        except EmptyPage as exc:
            raise ValidationError({self.page_query_param: [
                _("There is no page %(page)d; the last page is %(last)d.")
                % {"page": number, "last": paginator.num_pages}]}) from exc
        return list(self.page)
