// The open conflicts, each linked to the map: clicking one shows both notifications. Each card
// says why the pair is a conflict (every minimum it is within, and by how much, at its closest
// clash) and, when this party is in it, fills in the request to the other party in one click.

import { t } from "./i18n.js";
import { resolutionOf } from "./resolutions.js";
import { duration, el, metres, utc } from "./util.js";

// A vertical minimum this large is "any height" (docs/deconfliction.md).
const ANY_HEIGHT_M = 100000;

export function renderConflicts(view, conflicts, notifications, { map, party, onRequest, onError, onChanged }) {
  const titles = new Map(notifications.map((n) => [n.id, n.title]));
  const routes = new Map(notifications.filter((n) => n.route).map((n) => [n.id, n.route]));
  const side = (s) => el("span", { class: "side" }, el("strong", { dir: "ltr" }, s.owner), " ", t(`kind.${s.kind}`), " · ", titles.get(s.notification) ?? s.notification);
  view.replaceChildren(
    conflicts.length
      ? el("ul", { class: "conflicts" }, conflicts.map((c) =>
          el("li", { class: `conflict rule-${c.rule}`, dataset: { key: c.key } },
            el("div", {}, el("span", { class: "rule" }, t(`rule.${c.rule}`)), " ", side(c.a), " ⟷ ", side(c.b)),
            el("div", { class: "meta" },
              c.altitude_band ? `${metres(c.altitude_band.lower_m)}–${metres(c.altitude_band.upper_m)}` : "",
              c.time_window ? ` · ${utc(c.time_window.start)} – ${utc(c.time_window.end)}` : ""),
            minima(c),
            legs(c, routes),
            asks(c, party) ? resolutionOf(c, { party, onError, onChanged }) : null,
            el("div", { class: "actions" },
              el("button", { type: "button", class: "show", onclick: () => map.focus([c.a.notification, c.b.notification]) }, t("conflicts.show")),
              asks(c, party)
                ? el("button", { type: "button", class: "request", onclick: () => onRequest(c) }, t("conflicts.request"))
                : null))))
      : el("p", { class: "empty" }, t("conflicts.empty")),
  );
}

// This party is on one side and another party on the other: there is someone to ask.
function asks(conflict, party) {
  const owners = [conflict.a.owner, conflict.b.owner];
  return owners.includes(party) && owners.some((owner) => owner !== party);
}

// Why the pair conflicts: at its closest clash, how far apart it is laterally, vertically and
// in time, against each minimum, and by how much it is inside it.
function minima(c) {
  const clash = closest(c);
  const m = c.minima;
  const row = (dimension, text) => el("li", { dataset: { dimension } }, text);
  const apart = (key, found, minimum, show) => t(key, { found: show(found), minimum: show(minimum), inside: show(minimum - found) });
  const anyHeight = m.vertical_m >= ANY_HEIGHT_M;
  let vertical;
  if (!clash.altitude_gap_m) {
    vertical = t("conflicts.vertical_overlap", { minimum: anyHeight ? t("conflicts.any_height") : metres(m.vertical_m) });
  } else if (anyHeight) vertical = t("conflicts.vertical_any", { found: metres(clash.altitude_gap_m) });
  else vertical = apart("conflicts.vertical", clash.altitude_gap_m, m.vertical_m, metres);
  const time = clash.time_gap_s
    ? apart("conflicts.time", clash.time_gap_s, m.time_s, (s) => duration(s * 1000))
    : t("conflicts.time_overlap", { minimum: duration(m.time_s * 1000) });
  return el("ul", { class: "minima" },
    row("lateral", apart("conflicts.lateral", clash.distance_m, m.lateral_m, metres)),
    row("vertical", vertical),
    row("time", time));
}

// A movement given as a route: the legs that clash (volume i is leg i, waypoint i to i + 1),
// each with the times it is due at its ends.
function legs(c, routes) {
  const items = [];
  for (const [side, position] of [[c.a, 0], [c.b, 1]]) {
    const route = routes.get(side.notification);
    if (!route) continue;
    const numbers = [...new Set(c.clashes.map((clash) => clash.volumes[position]))].sort((x, y) => x - y);
    for (const i of numbers) {
      const [from, to] = [route.waypoints[i], route.waypoints[i + 1]];
      items.push(el("li", { class: "leg", dataset: { owner: side.owner, leg: i + 1 } },
        t("conflicts.leg", { owner: side.owner, n: i + 1, from: utc(from.time), to: utc(to.time) })));
    }
  }
  return items.length ? el("ul", { class: "legs" }, items) : null;
}

// The closest pair of volumes: the clash the card explains.
function closest(conflict) {
  return [...conflict.clashes].sort((x, y) => x.distance_m - y.distance_m)[0];
}
