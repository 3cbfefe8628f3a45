import orjson
from rest_framework.renderers import JSONRenderer


class OrjsonRenderer(JSONRenderer):
    """JSON via orjson: UUIDs, datetimes and Decimals natively, several times faster than json."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        # Non-str keys: DRF keys a list field's errors by item index ({"tags": {0: [...]}}).
        return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


def _default(value):
    # Lazy translation strings, phone numbers (E.164 by settings), ErrorDetail...
    return str(value)
