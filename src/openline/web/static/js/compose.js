// Compose: a form built from the node's phrasebook (/api/v1/templates, labels in the node's
// language), with areas and points picked on the map.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el, isoMinute } from "./util.js";

const PRECEDENCES = ["flash", "immediate", "priority", "routine"];

export class Compose {
  constructor({ view, peers, map, onSent, onError }) {
    this.view = view;
    this.peers = peers;
    this.map = map;
    this.onSent = onSent;
    this.onError = onError;
    this.templates = [];
  }

  load(templates) {
    this.templates = templates;
    this.render(this.templates[0]?.name);
  }

  // Answer a message: the confirm template, addressed to its sender, in reply to it.
  replyTo(message) {
    this.fill({ template: "confirm", to: [message.from], precedence: message.precedence,
      in_reply_to: message.id, fields: {} });
  }

  // A form filled in from a draft as POST /api/v1/messages takes it, for the officer to check
  // and send (a deconfliction request built from a conflict, a reply).
  fill(draft) {
    this.render(draft.template);
    const form = this.view.querySelector("form");
    for (const box of form.querySelectorAll("input[name=to]")) box.checked = draft.to.includes(box.value);
    form.querySelector("select[name=precedence]").value = draft.precedence;
    if (draft.in_reply_to) form.querySelector("input[name=in_reply_to]").value = draft.in_reply_to;
    for (const { name, write } of this.inputs) {
      if (draft.fields[name] !== undefined) write(draft.fields[name]);
    }
  }

  render(chosen) {
    const template = this.templates.find((tp) => tp.name === chosen);
    this.inputs = [];
    const form = el("form", { class: "compose", onsubmit: (e) => { e.preventDefault(); this.send(form); } },
      el("fieldset", { class: "to" }, el("legend", {}, t("compose.to")),
        this.peers.map((p, i) => el("label", {}, el("input", { type: "checkbox", name: "to", value: p.party, checked: i === 0 }), ` ${p.party}`))),
      el("label", {}, t("compose.template"), " ",
        el("select", { name: "template", onchange: (e) => this.render(e.target.value) },
          this.templates.map((tp) => el("option", { value: tp.name, selected: tp.name === chosen }, tp.title)))),
      el("p", { class: "help" }, template?.description ?? ""),
      el("label", {}, t("compose.precedence"), " ",
        el("select", { name: "precedence" },
          PRECEDENCES.map((p) => el("option", { value: p, selected: p === "routine" }, t(`precedence.${p}`))))),
      template?.answers_message
        ? el("label", {}, t("compose.reply"), " ", el("input", { name: "in_reply_to", required: true, dir: "ltr" }))
        : null,
      (template?.fields ?? []).map((field) => this.field(field)),
      el("button", { type: "submit", class: "send" }, t("compose.send")));
    this.view.replaceChildren(form);
  }

  // One input per field kind; `read` turns what the operator typed into the field's JSON, and
  // `write` puts a field's JSON back into the inputs.
  field(field) {
    const box = el("div", { class: `field kind-${field.kind}`, dataset: { field: field.name } },
      el("span", { class: "label" }, field.label, field.required ? " *" : ""));
    const input = (attributes) => el("input", { name: field.name, required: field.required, ...attributes });
    let read, write;
    const now = new Date();
    const later = new Date(now.getTime() + 2 * 3600e3);
    if (field.kind === "area") {
      const text = el("textarea", { name: field.name, required: field.required, dir: "ltr", rows: 2,
        placeholder: '{"type":"Polygon","coordinates":[...]}' });
      box.append(text, el("button", { type: "button", onclick: () =>
        this.map.startArea((polygon) => { text.value = JSON.stringify(polygon); }) }, t("compose.pick_area")));
      read = () => (text.value.trim() ? JSON.parse(text.value) : undefined);
      write = (area) => { text.value = JSON.stringify(area); };
    } else if (field.kind === "point") {
      const lat = input({ name: `${field.name}.lat`, type: "number", step: "any", placeholder: "lat", dir: "ltr" });
      const lon = input({ name: `${field.name}.lon`, type: "number", step: "any", placeholder: "lon", dir: "ltr" });
      box.append(lat, lon, el("button", { type: "button", onclick: () =>
        this.map.startPoint((p) => { lat.value = p.lat; lon.value = p.lon; }) }, t("compose.pick_point")));
      read = () => (lat.value === "" ? undefined : { lat: Number(lat.value), lon: Number(lon.value) });
      write = (point) => { lat.value = point.lat; lon.value = point.lon; };
    } else if (field.kind === "time_window") {
      const start = input({ name: `${field.name}.start`, value: isoMinute(now), dir: "ltr", "aria-label": t("compose.start") });
      const end = input({ name: `${field.name}.end`, value: isoMinute(later), dir: "ltr", "aria-label": t("compose.end") });
      box.append(start, " – ", end);
      read = () => (start.value ? { start: start.value, end: end.value } : undefined);
      write = (times) => { start.value = times.start; end.value = times.end; };
    } else if (field.kind === "altitude_band") {
      const lower = input({ name: `${field.name}.lower`, type: "number", placeholder: t("compose.lower"), dir: "ltr" });
      const upper = input({ name: `${field.name}.upper`, type: "number", placeholder: t("compose.upper"), dir: "ltr" });
      box.append(lower, " – ", upper);
      read = () => (lower.value === "" ? undefined : { lower_m: Number(lower.value), upper_m: Number(upper.value) });
      write = (band) => { lower.value = band.lower_m; upper.value = band.upper_m; };
    } else if (field.kind === "count") {
      const value = input({ type: "number", min: 0, step: 1, dir: "ltr" });
      box.append(value);
      read = () => (value.value === "" ? undefined : Number(value.value));
    } else if (field.kind === "time") {
      const value = input({ value: isoMinute(now), dir: "ltr" });
      box.append(value);
      read = () => value.value || undefined;
    } else if (field.kind === "text") {
      const value = el("textarea", { name: field.name, required: field.required, rows: 2 });
      box.append(value);
      read = () => value.value || undefined;
    } else {
      const value = input({ dir: "ltr" });
      box.append(value);
      read = () => value.value || undefined;
    }
    write ??= (value) => { box.querySelector("input, textarea").value = value; };
    box.append(el("small", { class: "help" }, field.help));
    this.inputs.push({ name: field.name, read, write });
    return box;
  }

  async send(form) {
    const data = new FormData(form);
    const fields = {};
    try {
      for (const { name, read } of this.inputs) {
        const value = read();
        if (value !== undefined) fields[name] = value;
      }
      const body = {
        to: data.getAll("to"),
        precedence: data.get("precedence"),
        template: data.get("template"),
        fields,
      };
      if (data.get("in_reply_to")) body.in_reply_to = data.get("in_reply_to");
      if (body.template === "free-text") {
        // Free text travels as text and lang, untranslated (docs/api.md).
        delete body.template;
        delete body.fields;
        Object.assign(body, fields);
      }
      const message = await api("/api/v1/messages", { method: "POST", body });
      this.render(data.get("template")); // a fresh form of the same template, free text too
      this.onSent(message);
    } catch (error) {
      this.onError(error);
    }
  }
}
