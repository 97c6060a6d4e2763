// Possible conflicts found blind (docs/blind.md): under the conflicts, one card per other party,
// naming this party's own notifications and where (cells, time slots) the other party's blind
// operations may be; the cells drawn on the map; its resolution as a conflict's; each own
// notification disclosed to that party in one click, after which the exact engine decides.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { resolutionOf } from "./resolutions.js";
import { el, utc } from "./util.js";

const CELL_STYLE = { color: "#b00020", weight: 1, fillOpacity: 0.25, dashArray: "3 3", className: "blind-cell" };

export function showBlind(view, conflicts, notifications, { map, party, onError, onChanged }) {
  const titles = new Map(notifications.map((n) => [n.id, n.title]));
  const drawn = drawCells(map, conflicts);
  view.querySelector("section.blind-conflicts")?.remove();
  if (!conflicts.length) return;
  view.append(el("section", { class: "blind-conflicts" },
    el("h3", {}, t("blind.title")),
    el("ul", { class: "conflicts" }, conflicts.map((c) =>
      el("li", { class: "conflict rule-blind", dataset: { key: c.key } },
        el("div", {}, el("span", { class: "rule" }, t("blind.possible")), " ",
          el("strong", { dir: "ltr" }, c.party), " · ", t(`blind.state.${c.state}`)),
        c.notifications.map((m) => match(m, c.party, titles, { onError, onChanged })),
        resolutionOf(c, { party, onError, onChanged }),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "show", onclick: () => fit(map, drawn.get(c.key)) }, t("conflicts.show"))))))));
}

function match(m, party, titles, { onError, onChanged }) {
  const slots = m.slots.length ? `${utc(m.slots[0].start)} – ${utc(m.slots[m.slots.length - 1].end)}` : "";
  return el("div", { class: "blind-match" },
    el("span", {}, titles.get(m.notification) ?? m.notification),
    el("span", { class: "meta" }, " · ", t("blind.cells", { n: String(m.cells.length) }), " · ", slots),
    el("button", { type: "button", class: "disclose", onclick: () => disclose(m.notification, party, { onError, onChanged }) },
      t("blind.disclose", { party })));
}

async function disclose(id, party, { onError, onChanged }) {
  try {
    await api(`/api/v1/notifications/${encodeURIComponent(id)}/disclose`, { method: "POST", body: { to: [party] } });
    onChanged();
  } catch (error) {
    onError(error);
  }
}

// Each possible conflict's cells as polygons on the map's notification layer; their bounds by key.
function drawCells(map, conflicts) {
  const bounds = new Map();
  if (!map.available) return bounds;
  for (const c of conflicts) {
    const group = L.featureGroup(c.notifications.flatMap((m) =>
      m.outlines.map((ring) => L.polygon(ring.map(([lon, lat]) => [lat, lon]), CELL_STYLE))));
    group.bindTooltip(t("blind.tooltip", { party: c.party }));
    group.addTo(map.layers);
    bounds.set(c.key, group.getBounds());
  }
  return bounds;
}

function fit(map, bounds) {
  if (map.available && bounds?.isValid()) map.map.fitBounds(bounds, { padding: [60, 60], maxZoom: 12 });
}
