import orjson
from rest_framework.renderers import JSONRenderer


class OrjsonRenderer(JSONRenderer):
    """JSON via orjson: UUIDs, datetimes and Decimals natively, several times faster than json."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z)


def _default(value):
    # Lazy translation strings, phone numbers (E.164 by settings), ErrorDetail...
    return str(value)
