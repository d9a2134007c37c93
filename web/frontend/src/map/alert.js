// A short two-tone beep through WebAudio for a breach. Off until the user switches it on: browsers block
// sound that no click started, and the click on the toggle is what unlocks the audio context.
let context = null;
let enabled = false;

export function soundOn() { return enabled; }

export function setSound(on) {
  enabled = on;
  if (on) {
    context = context || new (window.AudioContext || window.webkitAudioContext)();
    context.resume?.();
    beep(0.15);
  }
}

export function beep(volume = 0.3) {
  if (!enabled || !context) return;
  const now = context.currentTime;
  [0, 0.28].forEach((offset, i) => {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = "square";
    osc.frequency.value = i ? 660 : 880;
    gain.gain.setValueAtTime(volume, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.22);
    osc.connect(gain).connect(context.destination);
    osc.start(now + offset);
    osc.stop(now + offset + 0.24);
  });
}
