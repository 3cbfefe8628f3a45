"""Background work: Celery (Redis broker, JSON tasks, time limits, the default queue), beat with
django-celery-beat's database scheduler and its schedule (omni/schedule.py), and the heartbeat and health-check
timings /health/ reads."""

from django.core.exceptions import ImproperlyConfigured

from ..schedule import beat_schedule
from .base import env
from .data import REDIS_URL
from .i18n import TIME_ZONE

# Celery: Redis broker, schedules in the database (django-celery-beat), editable in admin.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Every task ends: SoftTimeLimitExceeded is raised in it after the soft limit (send batches then record what
# they sent and release the rest), the process is killed at the hard one. Tasks that need more set their own
# (notifications.tasks). Both well under the broker's 1 h visibility_timeout.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < 3600:
    raise ImproperlyConfigured("Celery time limits: 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < 3600.")
# The queue tasks are sent to and workers consume: instances (or test runs) sharing one broker each use their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# `celery beat` needs no --scheduler option; started with django-celery-beat's documented
# `--scheduler django_celery_beat.schedulers:DatabaseScheduler` it is the same. Either way omni.beat stamps the beat
# heartbeat /health/ reads each time beat sends a task (omni-heartbeat at least every HEARTBEAT_INTERVAL seconds).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat wakes at least this often, so schedules edited in the admin apply within seconds.
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
HEARTBEAT_INTERVAL = env.int("HEARTBEAT_INTERVAL", default=15)
HEALTH_WORKER_PING_TIMEOUT = env.float("HEALTH_WORKER_PING_TIMEOUT", default=1.0)
# /health/ answers from a report at most this old, shared by every web process through Redis: a monitor polling
# every web process every second costs one worker ping per period, not one per request.
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE = beat_schedule(heartbeat_interval=HEARTBEAT_INTERVAL)  # omni/schedule.py
