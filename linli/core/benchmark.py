"""Benchmark-only pieces, on when LINLI_BENCHMARK is set (benchmarks/pages_bench.py sets it): a
response header with the request's query count, and a bare view (50 rows of one table as JSON,
through the same middleware) that is the floor every page is compared with."""

from django.db import connection
from django.http import JsonResponse


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Linli-Queries"] = str(count[0])
        return response


def bare(request):
    from linli.activities.models import Occurrence

    rows = list(Occurrence.objects.order_by("pk").values("id", "start", "end", "status", "capacity")[:50])
    return JsonResponse({"results": rows})
