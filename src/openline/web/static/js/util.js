// Small helpers shared by the console's views.

import { t } from "./i18n.js";

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// "1h 02m 03s" in English, "1 ч 02 мин 03 с" in Russian: deadlines are minutes to hours away;
// the sign is the caller's. The units are the catalogue's.
export function duration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? t("duration.hms", { h, m: pad(m), s: pad(s) }) : t("duration.ms", { m, s: pad(s) });
}

// "12:03:04Z" today, "2024-12-03 12:03Z" otherwise: duty officers work in UTC.
export function utc(iso) {
  if (!iso) return "—";
  const text = new Date(iso).toISOString();
  const today = new Date().toISOString().slice(0, 10);
  return text.slice(0, 10) === today ? `${text.slice(11, 19)}Z` : `${text.slice(0, 10)} ${text.slice(11, 16)}Z`;
}

export function isoMinute(date) {
  return `${date.toISOString().slice(0, 16)}:00Z`;
}

// A countdown cell: "1h 02m 03s left", or how long ago the deadline passed; whether it has.
export function countdown(cell, { deadline, state }, now = Date.now()) {
  if (state === "acknowledged") {
    cell.textContent = "—";
    return false;
  }
  const left = Date.parse(deadline) - now;
  cell.textContent = t(left >= 0 ? "countdown.left" : "countdown.over", { time: duration(left) });
  return left < 0;
}

// Metres, rounded, with the unit in the console's language ("967 m", "967 м", "967 م").
export function metres(value) {
  return t("units.m", { n: Math.round(value) });
}

// A task run for the latest state only: at most one run at a time, and the calls made while it
// runs folded into one more run after it (a map redrawn after moves, the last view first).
export function latestOnly(task) {
  let busy = false;
  let again = false;
  const run = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      await task();
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      run();
    }
  };
  return run;
}

// The browser saves the file where the officer's downloads go.
export function saveFile(blob, name) {
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

// The file name a download's Content-Disposition gives, else `fallback`.
export function fileNameOf(response, fallback) {
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  return name ? name[1] : fallback;
}
