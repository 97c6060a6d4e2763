// The node's packaged base map, under the operation layers (docs/console.md#the-base-map):
// GeoNames' places with their names, GSHHG's coastlines, lakes and rivers. The node answers
// each view (GET /api/v1/basemap: places the most populous first, water clipped and thinned
// to the zoom); the console asks after each move, at most one request at a time, for the
// latest view, padded by a quarter on each side so that a short pan shows no bare edge.

import { api } from "./api.js";
import { el, latestOnly } from "./util.js";

// Leaflet's panes by height: the operator's tiles (200), then these, then the operations (400).
const PANES = { borders: 300, water: 350, places: 390 };
const STYLES = {
  coast: { color: "#2f6fa8", weight: 1.3 },
  river: { color: "#4a90c8", weight: 1 },
  lake: { color: "#4a90c8", weight: 0.8, fillColor: "#b7d3ea", fillOpacity: 1 },
};
const MERCATOR_LAT = 85.05;
const ATTRIBUTION = "GeoNames (CC BY 4.0), GSHHG (LGPL)";

export function addPanes(map) {
  for (const [name, zIndex] of Object.entries(PANES)) map.createPane(name).style.zIndex = zIndex;
}

export function drawBaseMap(map) {
  const water = L.layerGroup().addTo(map);
  const places = L.layerGroup().addTo(map);
  map.attributionControl.addAttribution(ATTRIBUTION);
  const draw = latestOnly(async () => {
    try {
      const answer = await api(`/api/v1/basemap?${viewQuery(map)}`);
      water.clearLayers();
      places.clearLayers();
      for (const feature of answer.features) {
        const { kind } = feature.properties;
        if (kind === "place") place(feature).addTo(places);
        else L.geoJSON(feature, { pane: "water", interactive: false, style: { ...STYLES[kind], className: `basemap-${kind}` } }).addTo(water);
      }
    } catch {
      water.clearLayers(); // a view the node will not answer (too large for its zoom): none drawn
      places.clearLayers();
    }
  });
  map.on("moveend", draw);
  map.whenReady(draw);
}

function viewQuery(map) {
  const view = map.getBounds().pad(0.25);
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value)).toFixed(5);
  const sides = {
    west: clamp(view.getWest(), 180), south: clamp(view.getSouth(), MERCATOR_LAT),
    east: clamp(view.getEast(), 180), north: clamp(view.getNorth(), MERCATOR_LAT),
  };
  return new URLSearchParams({ ...sides, zoom: map.getZoom() }).toString();
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
