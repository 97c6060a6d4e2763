// Corridors and movements on the map. A corridor is every point within half_width_m of its
// path (docs/notifications.md): drawn as a band along each leg, its sides half_width_m either
// side of the leg, and a disc of that radius at each waypoint, so that the turns are round as
// the footprint is. A movement given as a route also shows its path and, at each waypoint,
// the time it is due there (UTC), so the officer reads where it is at each hour.

import { el } from "./util.js";

const EARTH_RADIUS_M = 6371008.8; // the mean sphere: a drawing, not the engine's geodesics

export function corridorLayer(corridor, style) {
  const { path, half_width_m: width } = corridor;
  const points = unwrapped(path);
  const parts = [];
  for (let k = 0; k + 1 < points.length; k += 1) {
    parts.push(L.polygon(band(points[k], points[k + 1], width), { ...style, className: `${style.className ?? ""} corridor` }));
  }
  for (const [lon, lat] of points) {
    parts.push(L.circle([lat, lon], { ...style, radius: width, weight: 0 }));
  }
  parts.push(L.polyline(points.map(([lon, lat]) => [lat, lon]), { ...style, weight: 1, fill: false, dashArray: "2 6" }));
  return L.featureGroup(parts);
}

// The route of a movement: its path and each waypoint with its time.
export function routeLayer(route, style) {
  const points = unwrapped(route.waypoints.map((w) => [w.lon, w.lat]));
  const parts = [L.polyline(points.map(([lon, lat]) => [lat, lon]), { ...style, weight: 2, fill: false, className: "route" })];
  route.waypoints.forEach((waypoint, index) => {
    const [lon, lat] = points[index];
    const marker = L.circleMarker([lat, lon], { ...style, radius: 4, fillOpacity: 1, className: "route-waypoint" });
    // The time as the node wrote it (UTC), never a party's text as HTML.
    marker.bindTooltip(el("span", { dir: "ltr" }, `${index} · ${clock(waypoint.time)}`), { permanent: true, direction: "right", className: "route-time" });
    parts.push(marker);
  });
  return L.featureGroup(parts);
}

// "2026-12-03T09:30:00.000Z" as "03 09:30Z": the day and the hour, which a timetable reads by.
function clock(instant) {
  return `${instant.slice(8, 10)} ${instant.slice(11, 16)}Z`;
}

// Longitudes made continuous (each step the short way), so a path across the antimeridian is
// drawn across it, not round the world.
function unwrapped(path) {
  const out = [];
  for (const [lon, lat] of path) {
    if (!out.length) {
      out.push([lon, lat]);
      continue;
    }
    const previous = out[out.length - 1][0];
    out.push([lon + 360 * Math.round((previous - lon) / 360), lat]);
  }
  return out;
}

// The four corners of a leg's band: each end moved half the width to the left and right of the
// leg's direction there.
function band(a, b, width) {
  const there = bearing(a, b);
  const back = bearing(b, a);
  const corners = [
    destination(a, there - 90, width),
    destination(b, back + 90, width),
    destination(b, back - 90, width),
    destination(a, there + 90, width),
  ];
  return corners.map(([lon, lat]) => [lat, lon]);
}

function radians(degrees) {
  return (degrees * Math.PI) / 180;
}

function degrees(rad) {
  return (rad * 180) / Math.PI;
}

function bearing([lon1, lat1], [lon2, lat2]) {
  const p1 = radians(lat1);
  const p2 = radians(lat2);
  const dl = radians(lon2 - lon1);
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  return degrees(Math.atan2(y, x));
}

function destination([lon, lat], azimuth, metres) {
  const d = metres / EARTH_RADIUS_M;
  const p1 = radians(lat);
  const theta = radians(azimuth);
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(theta));
  const l2 = radians(lon) + Math.atan2(Math.sin(theta) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [degrees(l2), degrees(p2)];
}
