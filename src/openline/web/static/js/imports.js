// Sites from a spreadsheet (docs/console.md#sites-from-a-spreadsheet): the planner downloads the
// template (CSV or XLSX: GET /api/v1/imports/{format}/template), fills in one site or movement a
// row, and uploads it (POST /api/v1/imports/{format}). The node stores the good rows and names
// every bad one; the report shows how many were stored and a table of the bad rows, each with
// its row, column and reason, for the planner to mend in the sheet and upload those again.

import { fileRequest } from "./api.js";
import { t } from "./i18n.js";
import { el, fileNameOf, saveFile } from "./util.js";

const TYPES = {
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

export class SiteImport {
  constructor({ dialog, button, onError, onDone }) {
    this.onError = onError;
    this.onDone = onDone;
    this.report = el("div", { class: "import-report", role: "status" });
    this.file = el("input", { type: "file", name: "sheet", accept: ".csv,.xlsx",
      "aria-label": t("imports.file") });
    const templates = Object.keys(TYPES).map((format) => el("button", {
      type: "button", dataset: { template: format }, onclick: () => this.template(format),
    }, t("imports.template", { format: format.toUpperCase() })));
    dialog.replaceChildren(
      el("h2", {}, t("imports.heading")),
      el("p", { class: "help" }, t("imports.help")),
      el("div", { class: "import-templates" }, ...templates),
      el("form", { class: "import-upload", onsubmit: (event) => {
        event.preventDefault();
        this.upload();
      } },
      el("label", {}, el("span", {}, t("imports.file")), this.file),
      el("button", { type: "submit", name: "import" }, t("imports.upload"))),
      this.report,
      el("footer", {}, el("button", { type: "button", class: "close", onclick: () => dialog.close() },
        t("detail.close"))));
    button.onclick = () => dialog.showModal();
  }

  async template(format) {
    try {
      const response = await fileRequest(`/api/v1/imports/${format}/template`);
      saveFile(await response.blob(), fileNameOf(response, `openline-sites.${format}`));
    } catch (error) {
      this.refused(error);
    }
  }

  async upload() {
    const [file] = this.file.files;
    if (!file) return;
    const format = file.name.toLowerCase().endsWith(".xlsx") ? "xlsx" : "csv";
    this.report.replaceChildren(); // what the last one said is gone at once
    try {
      const response = await fileRequest(`/api/v1/imports/${format}`,
        { method: "POST", body: await file.arrayBuffer(), type: TYPES[format] });
      this.show(await response.json());
      this.file.value = "";
      this.onDone();
    } catch (error) {
      this.refused(error);
    }
  }

  show({ records, created, errors }) {
    this.report.className = errors.length ? "import-report partly" : "import-report";
    const summary = el("p", {}, t("imports.done", { rows: records, stored: created.length,
      bad: errors.length }));
    if (!errors.length) {
      this.report.replaceChildren(summary);
      return;
    }
    const head = el("tr", {}, ...["row", "column", "reason"].map((name) =>
      el("th", { scope: "col" }, t(`imports.${name}`))));
    const rows = errors.map((error) => el("tr", { dataset: { row: error.item } },
      el("td", {}, error.item.replace(/^row /, "")),
      el("td", {}, error.field ?? ""),
      el("td", {}, error.message.replace(/^column [^:]+: /, ""))));
    this.report.replaceChildren(summary,
      el("table", { class: "import-errors" }, el("thead", {}, head), el("tbody", {}, ...rows)));
  }

  refused(error) {
    this.report.className = "import-report error";
    this.report.replaceChildren(el("p", { role: "alert" },
      t("imports.refused", { message: error.message })));
    this.onError(error);
  }
}
