import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings")
application = get_asgi_application()
# Objects alive after start-up never need collecting again: freezing them cuts p99 latency (PERFORMANCE.md).
gc.freeze()
