// The open conflicts, each linked to the map: clicking one shows both notifications.

import { t } from "./i18n.js";
import { el } from "./util.js";

export function renderConflicts(view, conflicts, notifications, map) {
  const titles = new Map(notifications.map((n) => [n.id, n.title]));
  const side = (s) => el("span", { class: "side" }, el("strong", { dir: "ltr" }, s.owner), " ", t(`kind.${s.kind}`), " · ", titles.get(s.notification) ?? s.notification);
  view.replaceChildren(
    conflicts.length
      ? el("ul", { class: "conflicts" }, conflicts.map((c) =>
          el("li", { class: `conflict rule-${c.rule}`, dataset: { key: c.key } },
            el("div", {}, el("span", { class: "rule" }, t(`rule.${c.rule}`)), " ", side(c.a), " ⟷ ", side(c.b)),
            el("div", { class: "meta" },
              `${t("conflicts.distance")}: ${Math.round(c.distance_m)} m`,
              c.altitude_band ? ` · ${Math.round(c.altitude_band.lower_m)}–${Math.round(c.altitude_band.upper_m)} m` : "",
              c.time_window ? ` · ${c.time_window.start} – ${c.time_window.end}` : ""),
            el("button", { type: "button", onclick: () => map.focus([c.a.notification, c.b.notification]) }, t("conflicts.show")))))
      : el("p", { class: "empty" }, t("conflicts.empty")),
  );
}
