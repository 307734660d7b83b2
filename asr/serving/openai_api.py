"""POST /v1/audio/transcriptions: OpenAI's audio transcription API, so that its client libraries and the
programs built on them can use this server by changing their base URL.

The request is a multipart/form-data body: `file` (the audio), `model` (required by OpenAI's API; any
name is accepted and this server's model answers), `response_format` (json, the default: {"text"};
text: the transcript as text/plain; verbose_json: {task, language, duration, text, words: [{word, start,
end}], segments}). OpenAI's other fields (language, prompt, temperature, timestamp_granularities[]) are
accepted and have no effect. Errors are OpenAI's shape, {"error": {"message", "type", "param", "code"}},
with the statuses of POST /transcribe (asr.serving.upload).
"""

from aiohttp import web

from asr.serving.upload import UploadError, run_upload

LANGUAGE = "english"  # what every model of this toolkit transcribes (the text normalisation is English)
FORMATS = ("json", "text", "verbose_json")  # OpenAI's srt and vtt are not offered


def check_fields(fields):
    if not fields.get("model", "").strip():
        raise UploadError(400, "the form has no field 'model'; any name will do", "model")
    if fields.get("response_format", "json") not in FORMATS:
        raise UploadError(400, f"response_format {fields['response_format']!r} is not offered; choose one of "
                               f"{', '.join(FORMATS)}", "response_format")


def verbose(result):
    """OpenAI's verbose_json: the whole file as one segment, and the words with their times."""
    words = [{"word": w["word"], "start": w["start"], "end": w["end"]} for w in result["words"]]
    segment = {"id": 0, "seek": 0, "start": 0.0, "end": result["duration"], "text": result["text"], "tokens": [],
               "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 0.0, "no_speech_prob": 0.0}
    return {"task": "transcribe", "language": LANGUAGE, "duration": result["duration"], "text": result["text"],
            "words": words, "segments": [segment] if result["text"] else []}


def respond(result, fields):
    response_format = fields.get("response_format", "json")
    if response_format == "text":
        return web.Response(text=result["text"] + "\n")
    if response_format == "verbose_json":
        return web.json_response(verbose(result))
    return web.json_response({"text": result["text"]})


async def openai_transcriptions_handler(request):
    return await run_upload(request, respond, form_only=True, check_fields=check_fields)
