// AudioWorklet: the microphone at the context's rate (44.1 or 48 kHz) -> 16 kHz mono 16-bit PCM messages.
// Low-pass filter below the new Nyquist frequency (a windowed sinc), then read the filtered signal at
// every 1/16000 s by linear interpolation; post an Int16Array of FRAME samples (0.1 s) at a time.

const TARGET_RATE = 16000;
const FRAME = 1600;
const TAPS = 63;

function lowPass(cutoff) {  // cutoff in cycles per input sample; Hamming window; gain 1 at 0 Hz
  const taps = new Float32Array(TAPS), middle = (TAPS - 1) / 2;
  let sum = 0;
  for (let n = 0; n < TAPS; n++) {
    const t = n - middle;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    taps[n] = sinc * (0.54 - 0.46 * Math.cos(2 * Math.PI * n / (TAPS - 1)));
    sum += taps[n];
  }
  return taps.map((x) => x / sum);
}

class Pcm16kProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE;  // input samples per output sample; sampleRate: the worklet global
    this.taps = this.step > 1 ? lowPass(0.45 / this.step) : null;  // 0.45: 7.2 kHz, below 8 kHz
    this.ring = new Float32Array(TAPS);
    this.head = 0;
    this.index = -1;  // input sample number of the last filtered sample
    this.previous = 0;
    this.next = 0;  // input sample position of the next output sample
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
    this.port.onmessage = (event) => { if (event.data === "flush") this.flush(); };
  }

  filtered(x) {
    if (this.taps === null) return x;
    this.ring[this.head] = x;
    this.head = (this.head + 1) % TAPS;
    let y = 0;
    for (let k = 0; k < TAPS; k++) y += this.taps[k] * this.ring[(this.head + k) % TAPS];
    return y;
  }

  push(x) {
    const y = this.filtered(x);
    this.index += 1;
    while (this.next <= this.index) {  // output positions between the previous filtered sample and this one
      const fraction = this.next - (this.index - 1);
      this.emit(this.previous + (y - this.previous) * fraction);
      this.next += this.step;
    }
    this.previous = y;
  }

  emit(value) {
    this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
    if (this.filled === FRAME) this.post();
  }

  post() {
    const frame = this.frame.slice(0, this.filled);
    this.port.postMessage(frame.buffer, [frame.buffer]);
    this.filled = 0;
  }

  flush() {  // the last, shorter frame, then a word saying there is no more
    if (this.filled > 0) this.post();
    this.port.postMessage("flushed");
  }

  process(inputs) {
    const channels = inputs[0];
    if (channels.length > 0) {
      for (let i = 0; i < channels[0].length; i++) {
        let sum = 0;
        for (const channel of channels) sum += channel[i];
        this.push(sum / channels.length);  // mono: the channels' mean
      }
    }
    return true;  // keep running while the page records
  }
}

registerProcessor("pcm-16k", Pcm16kProcessor);
