// The alarm: nothing the duty officer must know of arrives unnoticed, whatever tab is open. Each
// cause (a flash or immediate message, a new conflict, a proximity warning, a line down, this
// console's node lost) raises once: a banner that stays until the officer acknowledges or
// dismisses it (or the cause goes away), a sound by its level made with WebAudio (no sound file
// is fetched), the tab's title and icon, and a desktop notification if the officer asked for
// them. Every alarm of the session stays in the log, with what became of it.

import { t } from "./i18n.js";
import { el, utc } from "./util.js";

// Levels, most urgent first: the sound, the banner's colour and the icon follow them.
const SOUNDS = {
  flash: { hz: 1320, beeps: 6, gap: 0.16 },
  immediate: { hz: 990, beeps: 3, gap: 0.3 },
  warning: { hz: 880, beeps: 3, gap: 0.3 },
};
// Causes the officer already acknowledged or dismissed stay quiet after a reload of the tab.
const HANDLED_KEY = "openline.alarms.handled";
const DESKTOP_KEY = "openline.alarms.desktop";

export class Alarm {
  constructor({ banner, log, logButton }) {
    this.banner = banner;
    this.log = log;
    this.logButton = logButton;
    this.active = new Map(); // key -> record, the banners shown
    this.history = []; // every alarm of the session, newest last
    this.handled = new Set(JSON.parse(sessionStorage.getItem(HANDLED_KEY) ?? "[]"));
    this.audio = null;
    this.icon = document.querySelector("link[rel=icon]");
    logButton.addEventListener("click", () => this.review());
  }

  // Browsers let a page make sound only after a gesture: the sign-in click is one.
  unlock() {
    if (!this.audio && window.AudioContext) this.audio = new AudioContext();
    this.audio?.resume();
  }

  // `actions` are the banner's buttons besides Dismiss: [{ label, run, acknowledges }]; one that
  // acknowledges ends the alarm as the officer's acknowledgement.
  raise(key, text, { level = "warning", actions = [] } = {}) {
    if (this.active.has(key) || this.handled.has(key)) return;
    const record = { key, text, level, raised: new Date().toISOString(), state: "active", ended: null };
    const buttons = actions.map((action) => el("button", { type: "button", onclick: async () => {
      const done = await action.run();
      if (action.acknowledges && done !== false) this.end(key, "acknowledged");
    } }, action.label));
    record.item = el("div", { class: `alarm level-${level}`, dataset: { key, level } },
      el("span", { class: "text" }, `⚠ ${text}`),
      el("span", { class: "actions" }, buttons,
        el("button", { type: "button", class: "dismiss", onclick: () => this.end(key, "dismissed") }, t("alarm.dismiss"))));
    this.active.set(key, record);
    this.history.push(record);
    this.banner.prepend(record.item);
    this.sound(level);
    this.desktop(key, text);
    this.show();
  }

  // A cause that went away (the line is back, the message acknowledged) clears its banner and
  // may sound again later; `how` is what the log says became of it.
  clear(key, how = "cleared") {
    this.handled.delete(key);
    if (this.active.has(key)) this.end(key, how);
    else this.remember();
  }

  end(key, how) {
    const record = this.active.get(key);
    if (!record) return;
    this.active.delete(key);
    record.item.remove();
    record.state = how;
    record.ended = new Date().toISOString();
    if (how === "dismissed" || how === "acknowledged") this.handled.add(key);
    this.remember();
    this.show();
  }

  remember() {
    sessionStorage.setItem(HANDLED_KEY, JSON.stringify([...this.handled]));
  }

  // The tab's title and icon say how many alarms wait, so that they show from another tab.
  show() {
    const count = this.active.size;
    const levels = [...this.active.values()].map((r) => r.level);
    const top = Object.keys(SOUNDS).find((level) => levels.includes(level));
    document.title = count ? `⚠ ${count} · ${t("title")}` : t("title");
    this.banner.dataset.count = String(count);
    this.logButton.querySelector(".count").textContent = count ? String(count) : "";
    const colour = { flash: "#b91c1c", immediate: "#ea580c", warning: "#b91c1c" }[top] ?? "#1d2733";
    const mark = count ? `<text x='16' y='23' font-size='18' text-anchor='middle' fill='white' font-family='sans-serif'>${Math.min(count, 9)}</text>` : "";
    const svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><circle cx='16' cy='16' r='15' fill='${colour}'/>${mark}</svg>`;
    this.icon.href = `data:image/svg+xml,${encodeURIComponent(svg)}`;
    this.icon.dataset.alarms = String(count);
    if (this.log.open) this.review();
  }

  sound(level) {
    // Which alarms sounded, and the last one's level: shown nowhere, read by the end-to-end tests.
    this.banner.dataset.sound = level;
    if (!this.audio || this.audio.state !== "running") return;
    const { hz, beeps, gap } = SOUNDS[level];
    const now = this.audio.currentTime;
    for (let i = 0; i < beeps; i++) {
      const start = now + i * gap;
      const tone = this.audio.createOscillator();
      const gain = this.audio.createGain();
      tone.frequency.value = hz;
      gain.gain.setValueAtTime(0.2, start);
      gain.gain.setValueAtTime(0, start + gap * 0.6);
      tone.connect(gain).connect(this.audio.destination);
      tone.start(start);
      tone.stop(start + gap * 0.7);
    }
    this.banner.dataset.beeps = String(Number(this.banner.dataset.beeps ?? 0) + 1);
  }

  // Desktop notifications, if the officer turned them on (the browser asks once): they reach an
  // officer whose browser is behind another window.
  desktop(key, text) {
    if (localStorage.getItem(DESKTOP_KEY) !== "on" || !window.Notification) return;
    if (Notification.permission !== "granted" || document.hasFocus()) return;
    new Notification(t("title"), { body: text, tag: key });
  }

  async toggleDesktop() {
    if (localStorage.getItem(DESKTOP_KEY) === "on") localStorage.removeItem(DESKTOP_KEY);
    else if (window.Notification && await Notification.requestPermission() === "granted") {
      localStorage.setItem(DESKTOP_KEY, "on");
    }
    this.review();
  }

  // The log of the session's alarms, newest first, with what became of each.
  review() {
    const desktop = localStorage.getItem(DESKTOP_KEY) === "on";
    this.log.replaceChildren(
      el("h2", {}, t("alarms.heading")),
      this.history.length
        ? el("table", { class: "alarm-log" }, [...this.history].reverse().map((r) =>
            el("tr", { class: `level-${r.level} state-${r.state}`, dataset: { key: r.key, state: r.state } },
              el("td", { dir: "ltr" }, utc(r.raised)),
              el("td", {}, r.text),
              el("td", {}, t(`alarms.${r.state}`), r.ended ? ` ${utc(r.ended)}` : ""))))
        : el("p", { class: "empty" }, t("alarms.none")),
      el("footer", {},
        el("button", { type: "button", class: "desktop", disabled: !window.Notification,
          onclick: () => this.toggleDesktop() }, t(desktop ? "alarms.desktop_off" : "alarms.desktop_on")),
        el("button", { type: "button", class: "close", onclick: () => this.log.close() }, t("detail.close"))));
    if (!this.log.open) this.log.showModal();
  }
}
