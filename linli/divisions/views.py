from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from linli.divisions import selectors


@login_required
def division_tree(request):
    return render(request, "divisions/tree.html", {"tree": selectors.division_tree(user=request.user)})
