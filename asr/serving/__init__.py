"""`asr serve`: transcription over HTTP (POST an audio file) and live over a WebSocket, with a web page.

Built on aiohttp: one well-kept package that does HTTP, WebSockets and static files on asyncio, so no
separate ASGI server is needed. The event loop only moves bytes; the model runs in a bounded thread pool
(onnxruntime releases the GIL while it computes).

    limits.py     what one server lets its clients use, and the close codes that name each limit
    app.py        the application: routes, the shared state, the thread pool, starting and stopping
    upload.py     POST /transcribe: an audio file in, JSON out (the offline Transcriber)
    websocket.py  GET /stream: 16 kHz PCM frames in, partial and final results out (the streaming recogniser)
    static/       the page served at /: microphone through an AudioWorklet, dropped files
"""
