// The open proximity warnings, each linked to the map: "Show on map" zooms to its tracks and
// highlights where they are predicted at the closest approach (or where one enters a volume).

import { t } from "./i18n.js";
import { trackName } from "./tracks.js";
import { el, utc } from "./util.js";

// `total`: how many are open on the node (a busy sky holds more than the page shown).
export function renderWarnings(view, warnings, tracks, total = warnings.length) {
  view.replaceChildren(
    ...(total > warnings.length ? [el("p", { class: "more" }, t("proximity.more", { shown: warnings.length, total }))] : []),
    warnings.length
      ? el("ul", { class: "warnings" }, warnings.map((w) =>
          el("li", { class: `warning rule-${w.rule}`, dataset: { key: w.key } },
            el("div", {}, el("span", { class: "rule" }, t(`warning.${w.rule}`)), " ", describe(w)),
            el("div", { class: "meta" }, figures(w), ` · ${t("proximity.opened", { time: utc(w.opened_at) })}`),
            el("button", { type: "button", onclick: () => tracks.focus(w) }, t("proximity.show")))))
      : el("p", { class: "empty" }, t("proximity.empty")),
  );
}

// Party and track ids come from the node as data: el() puts them in as text, never as HTML.
function describe(w) {
  const name = (ref) => el("strong", { dir: "ltr" }, trackName(ref));
  if (w.rule === "approach") return el("span", {}, name(w.a), " ⟷ ", name(w.b));
  const n = w.notification;
  return el("span", {}, name(w.track), " → ", el("strong", { dir: "ltr" }, n.owner), " ", t(`kind.${n.kind}`),
    " ", el("small", { dir: "ltr" }, n.id));
}

function figures(w) {
  if (w.rule === "approach") {
    return t("proximity.cpa", { lateral: Math.round(w.lateral_m), vertical: Math.round(w.vertical_m), time: utc(w.cpa_time) });
  }
  return t(w.inside ? "proximity.inside" : "proximity.entry", { time: utc(w.entry_time) });
}

// The alarm's words for a warning that just opened.
export function alarmText(w) {
  if (w.rule === "approach") {
    return t("alarm.approach", { a: trackName(w.a), b: trackName(w.b), lateral: Math.round(w.lateral_m), time: utc(w.cpa_time) });
  }
  return t("alarm.entry", { track: trackName(w.track), owner: w.notification.owner, kind: t(`kind.${w.notification.kind}`), time: utc(w.entry_time) });
}
