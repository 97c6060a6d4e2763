// The map: Leaflet on Natural Earth borders (world-atlas, served by the node: nothing from
// outside) over the operator's own tiles where the node has any (MBTiles in map_tiles_dir),
// under the node's base map of places and water (basemap.js),
// this party's and the peers' notifications in distinct colours, zones and protected sites
// styled apart, conflicts highlighted, MIL-STD-2525 symbols (milsymbol), the
// cursor in decimal degrees and MGRS, and areas or points picked by clicks.

import { api, token } from "./api.js";
import { addPanes, drawBaseMap } from "./basemap.js";
import { corridorLayer, routeLayer } from "./corridors.js";
import { t } from "./i18n.js";
import { el, latestOnly } from "./util.js";

// Grid spacing by zoom: [the least zoom, metres] (100 km squares from zoom 7, 10 km from 10, ...):
// a few tens of lines across a screen.
const GRID_SPACINGS = [[16, 100], [13, 1000], [10, 10000], [7, 100000]];
const COLOURS = { own: "#1f5fbf", peer: "#c2410c", conflict: "#d00000", message: "#7e22ce" };

// MIL-STD-2525C symbol codes for the kinds of notification; the second letter, the standard
// identity, is set per owner (F friend for our own, N neutral for a peer's: the line is between
// parties that notify each other, not an enemy picture).
const SYMBOLS = {
  "air-operation": "S*APMF---------", // a fixed-wing aircraft: the bare military-air code draws only "MIL"
  "ground-operation": "S*GPU----------",
  artillery: "S*GPUCF--------",
  firing: "S*GPUCF--------",
  launch: "S*GPUCM--------",
  "uav-operation": "S*APMFQ--------",
  exercise: "S*GPUCI--------",
  movement: "S*GPUUS--------",
  "protected-site": "S*GPI-----H----",
};

export class OpsMap {
  constructor({ element, party, cursorDd, cursorMgrs, tools, onError }) {
    this.party = party;
    this.tools = tools;
    this.onError = onError;
    this.available = Boolean(window.L && window.topojson && window.ms);
    if (!this.available) {
      element.textContent = t("map.missing");
      return;
    }
    this.map = L.map(element, { worldCopyJump: true, minZoom: 2, attributionControl: true });
    this.map.attributionControl.setPrefix(false).addAttribution("Natural Earth");
    this.map.setView([30, 20], 2);
    L.control.scale({ imperial: false }).addTo(this.map);
    addPanes(this.map);
    this.layers = L.layerGroup().addTo(this.map);
    this.drawing = null;
    this.fitted = false;
    this.shapes = new Map();
    this.trackCursor(cursorDd, cursorMgrs);
    this.drawGrid();
    this.plainMap = true; // the borders' land, not the operator's tiles
    this.landDrawn = false; // the base map's own land and sea stand in for the borders' fill
    this.baseMap = drawBaseMap(this.map, (drawn) => {
      this.landDrawn = drawn;
      this.fillBorders();
    });
    this.map.on("click", (event) => this.clicked(event.latlng));
    tools.finish.addEventListener("click", () => this.finish());
    tools.cancel.addEventListener("click", () => this.cancel());
  }

  // The toolbar follows what a click on the map will do: nothing, a corner, or a point.
  mode(kind) {
    this.tools.draw.hidden = kind !== null;
    this.tools.finish.hidden = kind !== "area";
    this.tools.cancel.hidden = kind === null;
    this.tools.hint.textContent = kind === "area" ? t("map.drawing") : kind === "point" ? t("map.picking") : "";
  }

  async loadBorders() {
    if (!this.available) return;
    const world = await (await fetch("/vendor/world-atlas/countries-50m.json")).json();
    const countries = topojson.feature(world, world.objects.countries);
    for (const country of countries.features) unwrap(country.geometry);
    this.borders = L.geoJSON(countries, {
      style: { color: "#7d7d74", weight: 0.8, fillColor: "#eeeadf", fillOpacity: 1 },
      interactive: false, pane: "borders", // under the base map's water and places
    }).addTo(this.map);
    this.fillBorders();
    await this.loadTiles();
  }

  // The borders' land colour, on the plain map where the base map draws no land of its own.
  fillBorders() {
    this.borders?.setStyle({ fillOpacity: this.plainMap && !this.landDrawn ? 1 : 0 });
  }

  // The tile archives the operator loaded on the node (map_tiles_dir), each a base map under the
  // borders, the first shown; "Borders only" keeps the plain map. Tiles are fetched with the
  // token, as every request to the node's API.
  async loadTiles() {
    const archives = await api("/api/v1/tiles");
    if (!archives.length) return;
    const plain = L.layerGroup();
    const bases = { [t("map.borders_only")]: plain };
    for (const archive of archives) {
      const [west, south, east, north] = archive.bounds ?? [-180, -85.06, 180, 85.06];
      const attribution = archive.attribution ? text(archive.attribution).outerHTML : "";
      bases[archive.title] = new NodeTiles(`/api/v1/tiles/${encodeURIComponent(archive.name)}/{z}/{x}/{y}`, {
        // Further out than the archive's first zoom, its tiles would be asked for by the
        // thousand: shown one zoom out (each tile halved), off beyond.
        minZoom: Math.max(0, (archive.minzoom ?? 0) - 1), minNativeZoom: archive.minzoom ?? 0,
        maxNativeZoom: archive.maxzoom ?? 18, maxZoom: 19,
        bounds: L.latLngBounds([south, west], [north, east]), attribution, className: "node-tiles",
      });
    }
    const shown = (layer) => {
      this.plainMap = layer === plain;
      this.baseMap.plain(this.plainMap); // which calls fillBorders
    };
    this.map.on("baselayerchange", (event) => shown(event.layer));
    L.control.layers(bases, {}, { collapsed: true }).addTo(this.map);
    Object.values(bases)[1].addTo(this.map);
    shown(Object.values(bases)[1]);
  }

  // Redraw every live notification; those in an open conflict in red.
  show(notifications, conflicts) {
    if (!this.available) return;
    const conflicted = new Set(conflicts.flatMap((c) => [c.a.notification, c.b.notification]));
    this.layers.clearLayers();
    this.shapes.clear();
    const bounds = L.latLngBounds([]);
    for (const n of notifications) {
      const owner = n.owner === this.party ? "own" : "peer";
      const inConflict = conflicted.has(n.id);
      const style = {
        color: inConflict ? COLOURS.conflict : COLOURS[owner],
        weight: inConflict ? 4 : 2,
        fillOpacity: n.kind === "zone" ? 0.08 : 0.2,
        dashArray: n.kind === "zone" ? "8 6" : n.kind === "protected-site" ? "2 4" : null,
        className: `notification ${owner}${inConflict ? " conflicted" : ""} kind-${n.kind}`,
      };
      const group = L.featureGroup(n.volumes.map((v) => volumeLayer(v, style)));
      if (n.route) routeLayer(n.route, { ...style, className: `${style.className} movement-route` }).addTo(group);
      // Titles come from other parties: shown as text, never as HTML.
      const label = () => text(`${n.owner} · ${t(`kind.${n.kind}`)} · ${n.title}`);
      group.bindTooltip(label());
      group.addTo(this.layers);
      const sidc = SYMBOLS[n.kind];
      if (sidc) {
        // The kind's name beside the symbol, from the console's own catalogue (never a party's
        // text: milsymbol writes it into the SVG markup).
        const symbol = new ms.Symbol(sidc.replace("*", owner === "own" ? "F" : "N"),
          { size: 22, uniqueDesignation: t(`kind.${n.kind}`) });
        const anchor = symbol.getAnchor();
        L.marker(group.getBounds().getCenter(), {
          icon: L.divIcon({ className: "milsymbol", html: symbol.asSVG(), iconAnchor: [anchor.x, anchor.y] }),
          keyboard: false,
        }).bindTooltip(label()).addTo(this.layers);
      }
      this.shapes.set(n.id, group);
      bounds.extend(group.getBounds());
    }
    if (!this.fitted && bounds.isValid()) {
      this.map.fitBounds(bounds, { padding: [40, 40], maxZoom: 10 });
      this.fitted = true;
    }
  }

  focus(ids) {
    if (!this.available) return;
    const bounds = L.latLngBounds([]);
    for (const id of ids) {
      const shape = this.shapes.get(id);
      if (shape) bounds.extend(shape.getBounds());
    }
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [60, 60], maxZoom: 12 });
  }

  // Drawing an area: each click adds a corner; finish() hands the closed polygon over.
  startArea(onDone) {
    if (!this.available) return;
    this.cancel();
    this.drawing = { kind: "area", points: [], onDone, line: L.polygon([], { color: COLOURS.own, dashArray: "4 4" }).addTo(this.map) };
    this.mode("area");
  }

  startPoint(onDone) {
    if (!this.available) return;
    this.cancel();
    this.drawing = { kind: "point", onDone };
    this.mode("point");
  }

  clicked(latlng) {
    if (!this.drawing) return;
    if (this.drawing.kind === "point") {
      const { onDone } = this.drawing;
      this.cancel();
      this.showPicked(latlng);
      onDone({ lat: round(latlng.lat), lon: round(latlng.lng) });
      return;
    }
    this.drawing.points.push(latlng);
    this.drawing.line.setLatLngs(this.drawing.points);
  }

  finish() {
    const drawing = this.drawing;
    if (!drawing || drawing.kind !== "area" || drawing.points.length < 3) return false;
    this.cancel();
    this.showPicked(drawing.points);
    const ring = drawing.points.map((p) => [round(p.lng), round(p.lat)]);
    ring.push(ring[0]);
    drawing.onDone({ type: "Polygon", coordinates: [ring] });
    return true;
  }

  cancel() {
    if (this.drawing?.line) this.drawing.line.remove();
    this.drawing = null;
    this.picked?.remove();
    this.mode(null);
  }

  // What was just picked stays drawn until the next pick, so the operator sees what is sent.
  showPicked(where) {
    this.picked = Array.isArray(where)
      ? L.polygon(where, { color: COLOURS.own, weight: 2, dashArray: "4 4", interactive: false })
      : L.circleMarker(where, { color: COLOURS.own, radius: 7, interactive: false });
    this.picked.addTo(this.map);
  }

  // The MGRS grid over the view, from the node (GET /api/v1/mgrs-grid: its one UTM/MGRS
  // implementation), its spacing following the zoom; at most one request at a time, for the
  // latest view. Below zoom 7 (whole countries) no grid is drawn.
  drawGrid() {
    const grid = L.layerGroup().addTo(this.map);
    const draw = latestOnly(async () => {
      const zoom = this.map.getZoom();
      const spacing = GRID_SPACINGS.find(([least]) => zoom >= least)?.[1];
      const view = this.map.getBounds();
      try {
        if (!spacing) {
          grid.clearLayers();
        } else {
          const [south, west, north, east] = [view.getSouth(), view.getWest(), view.getNorth(), view.getEast()]
            .map((v, i) => (i % 2 ? Math.max(-180, Math.min(180, v)) : Math.max(-90, Math.min(90, v))).toFixed(5));
          const answer = await api(`/api/v1/mgrs-grid?south=${south}&west=${west}&north=${north}&east=${east}&spacing_m=${spacing}`);
          grid.clearLayers();
          for (const line of answer.lines) {
            L.polyline(line, { color: "#55606b", weight: 1, opacity: 0.6, interactive: false, className: "mgrs-grid" }).addTo(grid);
          }
          for (const label of answer.labels) {
            L.marker([label.lat, label.lon], { interactive: false, keyboard: false,
              icon: L.divIcon({ className: "mgrs-label", html: el("span", { dir: "ltr" }, label.mgrs), iconSize: null }) }).addTo(grid);
          }
        }
      } catch {
        grid.clearLayers(); // a view the node will not grid (too many lines): none drawn
      }
    });
    this.map.on("moveend", draw);
  }

  // A message's areas and points ([{ kind: "area" | "point", value }], its fields as sent),
  // drawn when the officer asks from its detail, one message at a time, and brought into view.
  showMessage(places) {
    if (!this.available || !places.length) return;
    this.message?.remove();
    const style = { color: COLOURS.message, weight: 3, dashArray: "6 4", fillOpacity: 0.1,
      interactive: false, className: "message-shape" };
    this.message = L.featureGroup(places.map(({ kind, value }) => (kind === "point"
      ? L.circleMarker([value.lat, value.lon], { ...style, radius: 8 })
      : volumeLayer(value.circle || value.corridor ? value : { geometry: value }, style)))).addTo(this.map);
    this.map.fitBounds(this.message.getBounds(), { padding: [60, 60], maxZoom: 12 });
  }

  // A location typed in Compose, as the node read it: a point, or a circle of `radiusM`, drawn
  // like a pick and brought into view, so that the officer sees it before sending.
  showEntered(point, radiusM) {
    if (!this.available) return;
    this.picked?.remove();
    const at = [point.lat, point.lon];
    const style = { color: COLOURS.own, weight: 2, dashArray: "4 4", interactive: false, className: "entered" };
    this.picked = radiusM > 0 ? L.circle(at, { ...style, radius: radiusM }) : L.circleMarker(at, { ...style, radius: 7 });
    this.picked.addTo(this.map);
    this.map.setView(at, Math.max(this.map.getZoom(), 10));
  }

  // Decimal degrees at once; MGRS from the node (geo/mgrs.py, the one implementation), at most
  // one request at a time, for the latest position.
  trackCursor(dd, mgrs) {
    let pending = null;
    let busy = false;
    const ask = async () => {
      if (busy || !pending) return;
      busy = true;
      const { lat, lng } = pending;
      pending = null;
      try {
        const answer = await api(`/api/v1/mgrs/${lat.toFixed(6)}/${lng.toFixed(6)}`);
        mgrs.textContent = answer.mgrs;
      } catch {
        mgrs.textContent = "—";
      }
      busy = false;
      ask();
    };
    this.map.on("mousemove", (event) => {
      const { lat, lng } = event.latlng.wrap();
      dd.textContent = `${lat.toFixed(5)}, ${lng.toFixed(5)}`;
      pending = { lat, lng };
      ask();
    });
  }
}

function volumeLayer(volume, style) {
  if (volume.circle) {
    const { lat, lon, radius_m: radius } = volume.circle;
    return L.circle([lat, lon], { ...style, radius });
  }
  if (volume.corridor) return corridorLayer(volume.corridor, style);
  return L.geoJSON(volume.geometry, { style: () => style });
}

function round(degrees) {
  return Math.round(degrees * 1e6) / 1e6;
}

// Natural Earth cuts countries at the antimeridian, but a few rings still hold points on both
// sides of it (Russia, Fiji): drawn as they are, they streak across the whole map. Such a ring
// is moved east of it, whole.
function unwrap(geometry) {
  if (!geometry) return;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  for (const ring of polygons.flat()) {
    const lons = ring.map((p) => p[0]);
    if (Math.max(...lons) - Math.min(...lons) > 180) {
      for (const point of ring) if (point[0] < 0) point[0] += 360;
    }
  }
}

// A tile layer whose tiles come from the node's API with the operator's token (an <img> could
// not send it), each tile's object URL freed once drawn.
const NodeTiles = window.L?.TileLayer.extend({
  createTile(coords, done) {
    const tile = document.createElement("img");
    tile.alt = "";
    fetch(this.getTileUrl(coords), { headers: { Authorization: `Bearer ${token.get()}` } })
      .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(response.statusText))))
      .then((blob) => {
        tile.onload = () => {
          URL.revokeObjectURL(tile.src);
          done(null, tile);
        };
        tile.src = URL.createObjectURL(blob);
      })
      .catch((error) => done(error, tile));
    return tile;
  },
});

function text(content) {
  const span = document.createElement("span");
  span.textContent = content;
  return span;
}
