"""Reading Server-Sent Events streams through Django's test client."""

import orjson


def open_stream(client, path, **extra):
    """GET a stream; returns (response, chunks) once subscribed (the retry hint read): anything published from now
    on arrives in `chunks`. Finish it with `finish(response)`."""
    response = client.get(path, **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache" and response["X-Accel-Buffering"] == "no"
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry: ")
    return response, chunks


def finish(response) -> None:
    """Close a stream as a server does when its client goes. Through the test client's own wrapper: left to the
    garbage collector, it would send request_finished in the middle of a later request (resetting its URLconf), and
    response.close() would close the test's database connection."""
    response._iterator.close()


def events(chunks) -> list[tuple[str, dict]]:
    """The (event, data) pairs of SSE chunks (comments and the retry hint skipped)."""
    out = []
    for chunk in chunks:
        lines = dict(line.split(": ", 1) for line in chunk.decode().strip().split("\n") if ": " in line)
        if "event" in lines:
            out.append((lines["event"], orjson.loads(lines["data"])))
    return out
