// The tracks layer: every track the node holds (own and peers'), with its MIL-STD-2525 symbol,
// a label (track id, altitude) and its predicted line over the look-ahead; the open proximity
// warnings drawn on top (the two predicted positions at the closest approach and the line
// between them, or the predicted entry point into a volume). The node computes the warnings
// (docs/proximity.md); the lines drawn here are only a picture of the same straight-and-level
// prediction, computed with a small spherical formula.

import { t } from "./i18n.js";
import { metres } from "./util.js";

const COLOURS = { own: "#1f5fbf", peer: "#c2410c", warning: "#d00000" };
const EARTH_RADIUS_M = 6_371_008.8;
const LINE_POINTS = 12; // a predicted line is a polyline of this many points: only a drawing
export const DEFAULT_LOOKAHEAD_S = 300; // the node's default proximity_lookahead

// MIL-STD-2525C codes for the kinds of track; the second letter, the standard identity, is set
// per party (F friend for this party's tracks, N neutral for a peer's: the parties on the line
// are not allies, and their tracks are not an enemy picture either; the notifications on the
// map follow the same rule).
const SYMBOLS = {
  air: "S*APMF---------", // military fixed-wing aircraft
  uav: "S*APMFQ--------", // unmanned aerial vehicle
  ground: "S*GPU----------", // ground unit
  sea: "S*SPC----------", // surface combatant
};

export function trackName(ref) {
  return `${ref.party}/${ref.track_id}`;
}

// Where a track is predicted at `when` (ms since the epoch): along the great circle of its
// heading from its report, at its speed. Longitudes are not wrapped: the caller keeps a line
// continuous across the antimeridian.
export function predictAt(track, when) {
  const distance = track.speed_mps * Math.max(0, (when - Date.parse(track.time)) / 1000);
  const delta = distance / EARTH_RADIUS_M;
  const theta = (track.heading_deg * Math.PI) / 180;
  const phi1 = (track.lat * Math.PI) / 180;
  const lambda1 = (track.lon * Math.PI) / 180;
  const phi2 = Math.asin(Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta));
  const lambda2 = lambda1 + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(phi1),
    Math.cos(delta) - Math.sin(phi1) * Math.sin(phi2));
  return L.latLng((phi2 * 180) / Math.PI, (lambda2 * 180) / Math.PI);
}

function predictedLine(track, lookaheadS) {
  const start = Date.parse(track.time);
  const points = [];
  for (let i = 0; i < LINE_POINTS; i += 1) {
    const point = predictAt(track, start + (lookaheadS * 1000 * i) / (LINE_POINTS - 1));
    const previous = points.at(-1);
    if (previous) point.lng += 360 * Math.round((previous.lng - point.lng) / 360);
    points.push(point);
  }
  return points;
}

export class TrackLayer {
  constructor(opsMap) {
    this.ops = opsMap;
    this.available = opsMap.available;
    if (!this.available) return;
    this.layer = L.layerGroup().addTo(opsMap.map);
    this.tracks = new Map();
    this.highlights = new Map(); // warning key -> its drawing (CPA points or entry point)
    this.focused = null; // the warning last shown on the map: stays highlighted across redraws
  }

  // Redraw every track and every open warning. `warned` tracks have their line in red.
  show(tracks, warnings, party, lookaheadS) {
    if (!this.available) return;
    this.layer.clearLayers();
    this.tracks = new Map(tracks.map((track) => [trackName(track), track]));
    this.highlights.clear();
    const warned = new Set(warnings.flatMap((w) => (w.rule === "approach" ? [trackName(w.a), trackName(w.b)] : [trackName(w.track)])));
    const bounds = L.latLngBounds([]);
    for (const track of tracks) {
      const name = trackName(track);
      const owner = track.party === party ? "own" : "peer";
      const isWarned = warned.has(name);
      const line = L.polyline(predictedLine(track, lookaheadS), {
        color: isWarned ? COLOURS.warning : COLOURS[owner],
        weight: isWarned ? 3 : 2,
        dashArray: "6 5",
        interactive: false,
        className: `track-line ${owner}${isWarned ? " warned" : ""}`,
      }).addTo(this.layer);
      line.getElement()?.setAttribute("data-track", name);
      const sidc = (SYMBOLS[track.kind] ?? SYMBOLS.air).replace("*", owner === "own" ? "F" : "N");
      const symbol = new ms.Symbol(sidc, { size: 20, direction: track.heading_deg });
      const anchor = symbol.getAnchor();
      const marker = L.marker([track.lat, track.lon], {
        icon: L.divIcon({ className: `milsymbol track ${owner}`, html: symbol.asSVG(), iconAnchor: [anchor.x, anchor.y] }),
        keyboard: false,
      });
      // Track ids come from other parties: shown as text, never as HTML.
      marker.bindTooltip(text(`${track.track_id} · ${metres(track.alt_m)}`),
        { permanent: true, direction: "right", offset: [12, 0], className: `track-label ${owner}` });
      marker.addTo(this.layer);
      marker.getElement()?.setAttribute("data-track", name);
      marker.getElement()?.setAttribute("title", t("track.detail", {
        party: track.party, kind: t(`track.${track.kind}`), speed: Math.round(track.speed_mps),
        heading: Math.round(track.heading_deg), time: track.time.slice(11, 19) }));
      bounds.extend(line.getBounds());
    }
    for (const warning of warnings) this.drawWarning(warning);
    if (!this.ops.fitted && bounds.isValid()) {
      this.ops.map.fitBounds(bounds, { padding: [60, 60], maxZoom: 10 });
      this.ops.fitted = true;
    }
  }

  // An approach: both tracks where they are predicted at the closest approach, and the line
  // between them. An entry: where the track is predicted to enter the volume.
  drawWarning(warning) {
    const style = { color: COLOURS.warning, weight: 3, interactive: false };
    const focused = warning.key === this.focused ? " focused" : "";
    const group = L.featureGroup().addTo(this.layer);
    if (warning.rule === "approach") {
      const a = this.tracks.get(trackName(warning.a));
      const b = this.tracks.get(trackName(warning.b));
      if (!a || !b) return;
      const when = Date.parse(warning.cpa_time);
      const points = [predictAt(a, when), predictAt(b, when)];
      L.polyline(points, { ...style, className: `cpa-line${focused}` }).addTo(group);
      for (const point of points) L.circleMarker(point, { ...style, radius: 6, className: `cpa-point${focused}` }).addTo(group);
      group.bindTooltip(text(t("proximity.cpa_at", { time: warning.cpa_time.slice(11, 19) })));
    } else {
      const track = this.tracks.get(trackName(warning.track));
      if (!track) return;
      L.circleMarker(predictAt(track, Date.parse(warning.entry_time)),
        { ...style, radius: 7, className: `entry-point${focused}` }).addTo(group);
    }
    this.highlights.set(warning.key, group);
  }

  // Zoom to a warning: its tracks, their predicted points, and the volume entered.
  focus(warning) {
    if (!this.available) return;
    this.focused = warning.key;
    const bounds = L.latLngBounds([]);
    const refs = warning.rule === "approach" ? [warning.a, warning.b] : [warning.track];
    for (const ref of refs) {
      const track = this.tracks.get(trackName(ref));
      if (track) bounds.extend([track.lat, track.lon]);
    }
    for (const [key, drawn] of this.highlights) {
      for (const layer of drawn.getLayers()) layer.getElement()?.classList.toggle("focused", key === warning.key);
    }
    const drawn = this.highlights.get(warning.key);
    if (drawn) bounds.extend(drawn.getBounds());
    const volume = warning.notification && this.ops.shapes.get(warning.notification.id);
    if (volume) bounds.extend(volume.getBounds());
    if (!bounds.isValid()) return;
    // Which warning the map shows once it has moved there: shown nowhere, read by the
    // end-to-end tests (the zoom is animated).
    const element = this.ops.map.getContainer();
    delete element.dataset.focused;
    this.ops.map.once("moveend", () => { element.dataset.focused = warning.key; });
    this.ops.map.fitBounds(bounds, { padding: [80, 80], maxZoom: 10 });
  }
}

function text(content) {
  const span = document.createElement("span");
  span.textContent = content;
  return span;
}
