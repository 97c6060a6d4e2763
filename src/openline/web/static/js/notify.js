// Draw an area on the map, then notify it (kind, title, altitude band, time window, the parties
// to share it with, in full or blind: blind, those parties are deconflicted with it without
// ever seeing it, docs/blind.md). The band starts from a default for the kind; the times take a
// DTG or ISO 8601 (read by the node); Cancel or Escape closes the form and drops the drawing.

import { api } from "./api.js";
import { askTime } from "./entry.js";
import { t } from "./i18n.js";
import { el, isoMinute } from "./util.js";

// A starting altitude band for each kind, in metres, for the officer to change: ground units
// near the ground, drones low, aircraft to the usual working levels; artillery, firing and
// launches up to what their rounds reach. A kind not listed starts from 0 to 3000 m.
const BANDS = {
  "air-operation": [0, 3000],
  "uav-operation": [0, 500],
  "ground-operation": [0, 50],
  movement: [0, 50],
  exercise: [0, 50],
  "protected-site": [0, 100],
  artillery: [0, 10000],
  firing: [0, 10000],
  launch: [0, 20000],
};
const KINDS = ["air-operation", "ground-operation", "artillery", "uav-operation", "exercise",
  "movement", "protected-site", "zone", "danger-area", "firing", "launch"];
const WINDOW_MS = 4 * 3600e3;

export function setUpNotifyForm({ form, cancel, draw, map, peers, onDone, onError }) {
  let drawn = null;
  const { kind, lower, upper, start, end, title } = form.elements;
  kind.replaceChildren(...KINDS.map((k) => el("option", { value: k }, t(`kind.${k}`))));
  const band = () => {
    [lower.value, upper.value] = BANDS[kind.value] ?? [0, 3000];
  };
  kind.addEventListener("change", band);
  form.querySelector(".share").append(...peers.map((p) =>
    el("label", {}, el("input", { type: "checkbox", name: "share", value: p.party, checked: true }), ` ${p.party}`)));

  const close = () => {
    form.hidden = true;
    form.reset();
    drawn = null;
    map.cancel();
  };
  cancel.addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && (!form.hidden || map.drawing)) close();
  });
  draw.addEventListener("click", () => {
    form.hidden = true;
    map.startArea((polygon) => {
      drawn = polygon;
      const now = new Date();
      start.value = isoMinute(now);
      end.value = isoMinute(new Date(now.getTime() + WINDOW_MS));
      band();
      form.hidden = false;
      title.focus();
    });
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const [from, to] = [await askTime(data.get("start")), await askTime(data.get("end"))];
      const body = {
        kind: data.get("kind"),
        title: data.get("title"),
        volumes: [{
          geometry: drawn,
          altitude_lower_m: Number(data.get("lower")),
          altitude_upper_m: Number(data.get("upper")),
          time_start: from.time,
          time_end: to.time,
        }],
        share_with: data.getAll("share"),
        disclosure: data.get("disclosure"),
      };
      const created = await api("/api/v1/notifications", { method: "POST", body });
      close();
      await onDone(created);
    } catch (error) {
      onError(error);
    }
  });
}
