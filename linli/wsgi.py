import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
application = get_wsgi_application()

# The garbage collector (decision 0029): what the worker loaded to start (Django, the project's
# modules, settings) lives as long as the worker, so it is moved out of the collector's generations
# instead of being traversed by every full collection; and the youngest generation is collected
# after 50,000 allocations rather than 700 (a page allocates some tens of thousands of objects, most
# freed by reference counting). `LINLI_GC_THRESHOLD=0` keeps Python's defaults.
_threshold = int(os.environ.get("LINLI_GC_THRESHOLD", "50000"))
if _threshold:
    gc.freeze()
    gc.set_threshold(_threshold, 20, 100)
