"""Bounds on TCP connections, which aiohttp leaves open-ended: how many at once, and how long one may
spend outside a request.

aiohttp waits for a request's headers without a deadline and keeps an idle keep-alive connection for an
hour; a client that opens connections and dribbles a header byte now and then (slowloris) would hold a file
descriptor each for as long as it liked. Here a connection that spends limits.idle_seconds outside a
handler (its headers not yet complete, or idle between requests) is closed, and one past
limits.max_connections is answered 503 and closed at once. Time inside a handler is the handler's to
bound (an upload's body, a WebSocket's heartbeat).
"""

from aiohttp import web

from asr.serving.state import STATE

OVER_CAPACITY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                 b"Content-Length: 60\r\n\r\n" + b'{"error": "too many connections to this server; try later"}\n')


class ConnectionGuard:
    """Counts the server's connections and closes those past the limits. Runs on the event loop only."""

    def __init__(self, loop, max_connections, idle_seconds):
        self.loop, self.max_connections, self.idle_seconds = loop, max_connections, idle_seconds
        self.timers = {}  # transport -> the timer that closes it, while it is outside a request
        self.transports = {}  # aiohttp's protocol of each open connection -> its transport
        self.refused = self.timed_out = 0

    @property
    def open(self):
        return len(self.transports)

    def opened(self, handler, transport):
        self.transports[handler] = transport
        if self.open > self.max_connections:
            # not here and now: aiohttp starts its reading task after this call, and a connection lost
            # before that task first runs trips its assertions
            self.loop.call_soon(self.refuse, transport)
        else:
            self.idle(transport)

    def refuse(self, transport):
        self.refused += 1
        transport.write(OVER_CAPACITY)
        transport.close()

    def closed(self, handler):
        if transport := self.transports.pop(handler, None):
            self.busy(transport)

    def idle(self, transport):
        """The connection waits for a request: close it if none has begun in idle_seconds."""
        self.busy(transport)
        if not transport.is_closing():
            self.timers[transport] = self.loop.call_later(self.idle_seconds, self.time_out, transport)

    def busy(self, transport):
        if timer := self.timers.pop(transport, None):
            timer.cancel()

    def time_out(self, transport):
        self.timers.pop(transport, None)
        self.timed_out += 1
        transport.close()


def guard_server(server, guard):
    """Have aiohttp's low-level server (runner.server) report its connections to `guard`."""
    made, lost = server.connection_made, server.connection_lost

    def connection_made(handler, transport):
        made(handler, transport)
        guard.opened(handler, transport)

    def connection_lost(handler, exc=None):
        guard.closed(handler)
        lost(handler, exc)

    server.connection_made, server.connection_lost = connection_made, connection_lost


@web.middleware
async def guard_middleware(request, handler):
    """Stop the connection's idle clock while one of its requests is handled."""
    guard, transport = request.app[STATE].connections, request.transport
    if guard is None or transport is None:  # an application run without start() (aiohttp's test client)
        return await handler(request)
    guard.busy(transport)
    try:
        return await handler(request)
    finally:
        guard.idle(transport)
