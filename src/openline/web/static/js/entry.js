// Entry in the officer's own notation: a location typed as MGRS, degrees-minutes-seconds or
// decimal degrees, a circle as a location and a radius, a time as a DTG or ISO 8601. The node
// reads each (GET /api/v1/entry/point and /entry/time, its one MGRS and DTG implementation);
// the console shows what it understood, and the point on the map, before anything is sent.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./util.js";

const SETTLE_MS = 400; // reading starts once the officer pauses typing

// A text input read by the node as the officer types; `read()` gives the node's answer for the
// text as it is now (asking again if the text changed since), or throws the node's refusal.
class Entry {
  constructor({ input, ask, show }) {
    this.input = input;
    this.ask = ask; // text -> the node's answer
    this.show = show; // (answer | null, error | null) -> shown to the officer
    this.last = { text: null, answer: null };
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.read().catch(() => null), SETTLE_MS);
    });
  }

  async read() {
    const text = this.input.value.trim();
    if (!text) {
      this.show(null, null);
      return undefined;
    }
    if (this.last.text === text) return this.last.answer;
    try {
      const answer = await this.ask(text);
      this.last = { text, answer };
      this.show(answer, null);
      return answer;
    } catch (error) {
      this.show(null, error);
      throw error;
    }
  }
}

const askPoint = (text) => api(`/api/v1/entry/point?text=${encodeURIComponent(text)}`);
export const askTime = (text) => api(`/api/v1/entry/time?text=${encodeURIComponent(text)}`);

// What the node understood, or why it could not.
function shown(output, answer, error, describe) {
  output.classList.toggle("error", Boolean(error));
  output.textContent = error ? error.message : answer ? describe(answer) : "";
}

const describePoint = (p) => `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} · ${p.mgrs}`;

// A location: the text, a button to pick it on the map, and the point read (lat and lon shown
// read-only, as sent).
export function pointEntry({ name, required, map }) {
  // dir auto: the help reads in the console's direction, what is typed (Latin) left to right.
  const text = el("input", { name, required, dir: "auto", class: "notation", placeholder: t("entry.point_help") });
  const lat = el("input", { name: `${name}.lat`, readonly: true, tabindex: "-1", dir: "ltr", class: "parsed-figure", "aria-label": "lat" });
  const lon = el("input", { name: `${name}.lon`, readonly: true, tabindex: "-1", dir: "ltr", class: "parsed-figure", "aria-label": "lon" });
  const output = el("output", { class: "parsed", dir: "ltr" });
  const entry = new Entry({ input: text, ask: askPoint, show: (answer, error) => {
    shown(output, answer, error, describePoint);
    lat.value = answer ? answer.lat : "";
    lon.value = answer ? answer.lon : "";
    if (answer) map.showEntered(answer, 0);
  } });
  // A point picked or written is known at once; the node's reading adds its MGRS.
  const put = (point) => {
    text.value = `${point.lat} ${point.lon}`;
    lat.value = point.lat;
    lon.value = point.lon;
    entry.read().catch(() => null);
  };
  const pick = el("button", { type: "button", onclick: () => map.startPoint(put) }, t("compose.pick_point"));
  const element = el("span", { class: "entry point" }, text, pick, lat, lon, output);
  return {
    element,
    read: async () => {
      const point = await entry.read();
      return point && { lat: point.lat, lon: point.lon };
    },
    write: put,
  };
}

// A time: a DTG or ISO 8601, filled in with `value`; what it names shown in the other notation.
export function timeEntry({ name, value, label }) {
  const input = el("input", { name, value, dir: "ltr", class: "notation", "aria-label": label, placeholder: "031800ZDEC26" });
  const output = el("output", { class: "parsed", dir: "ltr" });
  const entry = new Entry({ input, ask: askTime, show: (answer, error) =>
    shown(output, answer, error, (a) => `${a.dtg} · ${a.time.slice(0, 16)}Z`) });
  return {
    element: el("span", { class: "entry time" }, input, output),
    read: async () => (await entry.read())?.time,
    write: (time) => {
      input.value = time;
      entry.read().catch(() => null);
    },
  };
}

// An area: a polygon (drawn on the map, or GeoJSON), or a circle typed as a location and a radius.
export function areaEntry({ name, required, map }) {
  const text = el("textarea", { name, required, dir: "auto", rows: 2, class: "notation", placeholder: t("entry.area_help") });
  const radius = el("input", { name: `${name}.radius_m`, type: "number", min: 1, value: 1000, dir: "ltr", "aria-label": t("entry.radius") });
  const output = el("output", { class: "parsed", dir: "ltr" });
  const ask = async (typed) => {
    if (!typed.startsWith("{")) return { point: await askPoint(typed) };
    try {
      return { geometry: JSON.parse(typed) };
    } catch (error) {
      throw new Error(t("entry.bad_json", { message: error.message }), { cause: error });
    }
  };
  const entry = new Entry({ input: text, ask, show: (answer, error) => {
    shown(output, answer, error, (a) => (a.point ? `${describePoint(a.point)} · ${t("entry.radius")} ${radius.value}` : ""));
    if (answer?.point) map.showEntered(answer.point, Number(radius.value));
  } });
  radius.addEventListener("change", () => {
    entry.last.text = null; // the circle on the map follows the radius
    entry.read().catch(() => null);
  });
  const draw = el("button", { type: "button", onclick: () => map.startArea((polygon) => {
    text.value = JSON.stringify(polygon);
    entry.read().catch(() => null);
  }) }, t("compose.pick_area"));
  return {
    element: el("span", { class: "entry area" }, text, el("label", {}, t("entry.radius"), " ", radius), draw, output),
    read: async () => {
      const area = await entry.read();
      if (!area) return undefined;
      return area.geometry ?? { circle: { lat: area.point.lat, lon: area.point.lon, radius_m: Number(radius.value) } };
    },
    write: (area) => {
      text.value = JSON.stringify(area);
      entry.read().catch(() => null);
    },
  };
}
