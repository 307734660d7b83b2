// The page of `asr serve`: the microphone streamed to /stream (partial text in grey, replaced as it
// changes; final text appended), and dropped or chosen files posted to /transcribe. Plain JavaScript.

const $ = (id) => document.getElementById(id);
const CLOSE_REASONS = {  // what the server's close codes mean (docs/serving.md)
  1000: "done", 1003: "the server did not understand the audio", 1008: "stream too long",
  1009: "message too big", 1011: "server error", 1013: "server busy, try again later",
};
// a server started with --token is opened as /?token=TOKEN: every address the page asks for carries it
const TOKEN = new URLSearchParams(location.search).get("token");
const withToken = (path) => (TOKEN ? `${path}?token=${encodeURIComponent(TOKEN)}` : path);
let session = null;  // the recording: {media, context, node, socket}

function setStatus(text) { $("status").textContent = text; }

function count(name) {  // how many events of a kind the page showed, for whoever watches it (the tests)
  const transcript = $("transcript");
  transcript.dataset[name] = Number(transcript.dataset[name] || 0) + 1;
}

function showEvent(event) {
  if (event.type === "partial") {
    $("partial").textContent = event.text;
    count("partials");
  } else if (event.type === "final") {
    $("partial").textContent = "";
    if (event.text) $("final").textContent += ($("final").textContent ? " " : "") + event.text;
    count("finals");
  }
}

function openSocket() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${withToken("/stream")}`;
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (message) => showEvent(JSON.parse(message.data));
  socket.onclose = (close) => {
    const meaning = CLOSE_REASONS[close.code] || "connection lost";
    setStatus(`stream closed (${close.code} ${meaning}${close.reason ? ": " + close.reason : ""})`);
    $("transcript").dataset.closed = close.code;
    stopAudio();
    $("record").textContent = "Record";
    $("record").disabled = false;
  };
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error("cannot connect to /stream"));
  });
}

async function startRecording() {
  $("record").disabled = true;
  // the context, worklet and socket first: the microphone's first words must not pass while they start
  const context = new AudioContext();
  let socket = null;
  try {
    await context.audioWorklet.addModule(withToken("/static/pcm-worklet.js"));
    const node = new AudioWorkletNode(context, "pcm-16k");
    socket = await openSocket();
    const audio = { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false };
    const media = await navigator.mediaDevices.getUserMedia({ audio });
    if (socket.readyState !== WebSocket.OPEN) {  // refused (1013: busy) while the microphone opened
      media.getTracks().forEach((track) => track.stop());
      context.close();
      return;  // onclose has shown why
    }
    session = { media, context, node, socket };
    node.port.onmessage = (message) => {
      if (message.data === "flushed") socket.send(JSON.stringify({ type: "end" }));
      else if (socket.readyState === WebSocket.OPEN) socket.send(message.data);
    };
    context.createMediaStreamSource(media).connect(node);
    node.connect(context.destination);  // pulls the worklet through the graph; it outputs silence
  } catch (error) {  // no microphone, or no permission: leave nothing open
    if (socket) { socket.onclose = null; socket.close(); }  // the error, not a close code, is what to show
    context.close();
    throw error;
  }
  delete $("transcript").dataset.closed;
  setStatus(`recording (${context.sampleRate} Hz to 16 kHz)`);
  $("record").textContent = "Stop";
  $("record").disabled = false;
}

function stopAudio() {
  if (!session) return;
  session.media.getTracks().forEach((track) => track.stop());
  session.context.close();
  session = null;
}

function stopRecording() {
  $("record").disabled = true;
  setStatus("finishing…");
  session.node.port.postMessage("flush");  // the worklet sends its last samples, then "flushed": the end message
  session.media.getTracks().forEach((track) => track.stop());
}

$("record").onclick = () => {
  const action = session ? stopRecording() : startRecording();
  Promise.resolve(action).catch((error) => { setStatus(`cannot record: ${error.message}`); stopAudio();
    $("record").disabled = false; });
};

async function transcribeFile(file) {
  const row = document.createElement("div");
  row.textContent = `${file.name}: transcribing…`;
  $("files").appendChild(row);
  try {
    const response = await fetch(withToken("/transcribe"), { method: "POST", body: file });
    const result = await response.json();
    if (response.ok) {
      row.textContent = `${file.name} (${result.duration.toFixed(1)} s): ${result.text}`;
    } else {
      row.textContent = `${file.name}: ${result.error}`;
      row.className = "error";
    }
  } catch (error) {
    row.textContent = `${file.name}: ${error.message}`;
    row.className = "error";
  }
}

const drop = $("drop");
drop.ondragover = (event) => { event.preventDefault(); drop.classList.add("over"); };
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  [...event.dataTransfer.files].forEach(transcribeFile);
};
$("file").onchange = () => { [...$("file").files].forEach(transcribeFile); $("file").value = ""; };

fetch(withToken("/status")).then((response) => response.json()).then((status) => {
  $("record").disabled = !status.streaming;
  setStatus(status.streaming ? "ready" : `live transcription is off: ${status.no_stream_reason}`);
}).catch(() => setStatus("the server does not answer"));
