// The alarm: a banner that stays until dismissed, and a beep made with WebAudio (no sound file
// is fetched). Each cause (a line down, a message overdue, a proximity warning) sounds once.

import { t } from "./i18n.js";
import { el } from "./util.js";

export class Alarm {
  constructor(banner) {
    this.banner = banner;
    this.raised = new Set();
    this.audio = null;
  }

  // Browsers let a page make sound only after a gesture: the sign-in click is one.
  unlock() {
    if (!this.audio && window.AudioContext) this.audio = new AudioContext();
    this.audio?.resume();
  }

  raise(key, text) {
    if (this.raised.has(key)) return;
    this.raised.add(key);
    const item = el("div", { class: "alarm", dataset: { key } },
      el("span", {}, `⚠ ${text}`),
      el("button", { type: "button", onclick: () => item.remove() }, t("alarm.dismiss")));
    this.banner.append(item);
    this.beep();
  }

  // A cause that went away (the line is back) clears its banner and may sound again later.
  clear(key) {
    this.raised.delete(key);
    for (const item of this.banner.querySelectorAll(".alarm")) {
      if (item.dataset.key === key) item.remove();
    }
  }

  beep() {
    if (!this.audio || this.audio.state !== "running") return;
    const now = this.audio.currentTime;
    for (const start of [0, 0.3, 0.6]) {
      const tone = this.audio.createOscillator();
      const gain = this.audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, now + start);
      gain.gain.setValueAtTime(0, now + start + 0.18);
      tone.connect(gain).connect(this.audio.destination);
      tone.start(now + start);
      tone.stop(now + start + 0.2);
    }
    // How many alarms sounded: shown nowhere, read by the end-to-end tests.
    this.banner.dataset.beeps = String(Number(this.banner.dataset.beeps ?? 0) + 1);
  }
}
