// The node's packaged base map, under the operation layers (docs/console.md#the-base-map):
// GeoNames' places with their names, GSHHG's sea, coastlines, lakes and rivers. The node
// answers each view (GET /api/v1/basemap: places the most populous first, water clipped and
// thinned to the zoom); the console asks after each move, at most one request at a time, for
// the latest view, padded by a quarter on each side so that a short pan shows no bare edge. On
// the plain map (not over tiles), the node's land and sea stand in for the borders' coarse fill.

import { api } from "./api.js";
import { el, latestOnly } from "./util.js";

// Leaflet's panes by height: the operator's tiles (200), then these, then the operations (400).
const PANES = { land: 290, borders: 300, water: 350, places: 390 };
const LAND = "#eeeadf"; // the borders' own land colour (map.js)
const SEA = "#a9c6de"; // the map's own background (console.css): the sea where nothing is drawn
const STYLES = {
  coast: { color: "#2f6fa8", weight: 1.3 },
  river: { color: "#4a90c8", weight: 1 },
  lake: { color: "#4a90c8", weight: 0.8, fillColor: SEA, fillOpacity: 1 },
  sea: { stroke: false, fillColor: SEA, fillOpacity: 1 },
};
const MERCATOR_LAT = 85.05;
const ATTRIBUTION = "GeoNames (CC BY 4.0), GSHHG (LGPL)";

export function addPanes(map) {
  for (const [name, zIndex] of Object.entries(PANES)) map.createPane(name).style.zIndex = zIndex;
}

// `onLand(drawn)` hears whether the base map's land and sea (the view as land, the node's sea
// over it, where the node answered the whole sea) stand in for the borders' coarser land fill.
// Returns plain(shown): whether the plain map is shown, not the operator's tiles (the land and
// sea are drawn on the plain map only).
export function drawBaseMap(map, onLand) {
  const land = L.layerGroup();
  const water = L.layerGroup().addTo(map);
  const places = L.layerGroup().addTo(map);
  let plain = true;
  let answered = false;
  const showLand = () => {
    if (plain && answered) land.addTo(map);
    else land.remove();
    onLand(plain && answered);
  };
  const clear = () => [land, water, places].forEach((layer) => layer.clearLayers());
  map.attributionControl.addAttribution(ATTRIBUTION);
  const draw = latestOnly(async () => {
    try {
      const sides = viewSides(map);
      const answer = await api(`/api/v1/basemap?${new URLSearchParams({ ...sides, zoom: map.getZoom() })}`);
      clear();
      answered = answer.sea;
      if (answered) {
        L.rectangle([[sides.south, sides.west], [sides.north, sides.east]], { pane: "land",
          interactive: false, stroke: false, fillColor: LAND, fillOpacity: 1, className: "basemap-land" }).addTo(land);
      }
      for (const feature of answer.features) {
        const { kind } = feature.properties;
        if (kind === "place") place(feature).addTo(places);
        else {
          L.geoJSON(feature, { pane: kind === "sea" ? "land" : "water", interactive: false,
            style: { ...STYLES[kind], className: `basemap-${kind}` } }).addTo(kind === "sea" ? land : water);
        }
      }
    } catch {
      clear(); // a view the node will not answer (too large for its zoom): none drawn
      answered = false;
    }
    showLand();
  });
  map.on("moveend", draw);
  map.whenReady(draw);
  return {
    plain(shown) {
      plain = shown;
      showLand();
    },
  };
}

// The view and a quarter more on each side, within the world Web Mercator draws.
function viewSides(map) {
  const view = map.getBounds().pad(0.25);
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value)).toFixed(5);
  return {
    west: clamp(view.getWest(), 180), south: clamp(view.getSouth(), MERCATOR_LAT),
    east: clamp(view.getEast(), 180), north: clamp(view.getNorth(), MERCATOR_LAT),
  };
}

// A dot and the place's name beside it, as text (a name is data, never markup).
function place(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  const { name, feature: code } = feature.properties;
  const major = code === "PPLC" || code.startsWith("PPLA");
  return L.marker([lat, lon], {
    pane: "places", interactive: false, keyboard: false,
    icon: L.divIcon({
      className: `place-label${major ? " major" : ""}`, iconSize: null, iconAnchor: [4, 4],
      html: el("span", { dir: "auto" }, name),
    }),
  });
}
