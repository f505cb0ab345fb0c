// sdtm report: unpacks the packed blocks of this page and draws the findings table and the
// subject picked. Plain browser JavaScript, no library, no network (the page's CSP forbids it).
"use strict";

(function () {
  const LIMIT = 500;

  // Packed blocks are gzip + base64 (sdtm.review.html.pack); the browser's own
  // DecompressionStream inflates them.
  async function unpack(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error("missing data block " + id);
    const binary = atob(element.textContent.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return await new Response(stream).text();
  }

  function cell(row, text, html) {
    const td = document.createElement("td");
    if (html) td.appendChild(html); else td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function fillSelect(select, values) {
    for (const value of values) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    }
  }

  async function findingsTable() {
    if (!document.getElementById("findings-data")) return;
    const data = JSON.parse(await unpack("findings-data"));
    const col = {};
    data.columns.forEach((name, i) => { col[name] = i; });
    const rows = data.rows;
    const controls = {
      text: document.getElementById("f-text"),
      severity: document.getElementById("f-severity"),
      rule: document.getElementById("f-rule"),
      dataset: document.getElementById("f-dataset"),
      waived: document.getElementById("f-waived"),
    };
    const distinct = (name) => [...new Set(rows.map((r) => r[col[name]]).filter((v) => v))].sort();
    fillSelect(controls.severity, ["error", "warning", "notice"].filter(
      (s) => rows.some((r) => r[col.severity] === s)));
    fillSelect(controls.rule, distinct("rule_id"));
    fillSelect(controls.dataset, distinct("dataset"));
    const body = document.querySelector("#findings-table tbody");
    const count = document.getElementById("f-count");
    const more = document.getElementById("f-more");
    let limit = LIMIT;

    function matches(r) {
      const waived = controls.waived.value;
      if (waived === "open" && r[col.waived]) return false;
      if (waived === "waived" && !r[col.waived]) return false;
      if (controls.severity.value && r[col.severity] !== controls.severity.value) return false;
      if (controls.rule.value && r[col.rule_id] !== controls.rule.value) return false;
      if (controls.dataset.value && r[col.dataset] !== controls.dataset.value) return false;
      const needle = controls.text.value.trim().toLowerCase();
      if (!needle) return true;
      return ["usubjid", "value", "message", "variable", "source_file", "rule_name"].some(
        (name) => String(r[col[name]] ?? "").toLowerCase().includes(needle));
    }

    function render() {
      const chosen = rows.filter(matches);
      body.replaceChildren();
      for (const r of chosen.slice(0, limit)) {
        const tr = document.createElement("tr");
        const severity = cell(tr, r[col.severity]);
        severity.className = "sev-" + r[col.severity];
        const ruleId = r[col.rule_id];
        if (document.getElementById("rule-" + ruleId)) {
          const link = document.createElement("a");
          link.href = "#rule-" + ruleId;
          link.textContent = ruleId;
          link.title = r[col.rule_name] || "";
          cell(tr, null, link);
        } else {
          cell(tr, ruleId);
        }
        cell(tr, r[col.dataset]);
        cell(tr, r[col.usubjid]);
        cell(tr, r[col.variable]);
        cell(tr, r[col.value]);
        const where = [];
        if (r[col.row] != null) where.push("row " + r[col.row]);
        if (r[col.seq] != null) where.push("seq " + r[col.seq]);
        cell(tr, where.join(", "));
        cell(tr, r[col.source_file] ? r[col.source_file] +
          (r[col.source_row] != null ? ":" + r[col.source_row] : "") : "");
        cell(tr, r[col.message]);
        cell(tr, r[col.waiver] || (r[col.waived] ? "waived" : ""));
        body.appendChild(tr);
      }
      count.textContent = "showing " + Math.min(limit, chosen.length) + " of " + chosen.length +
        " matching (" + rows.length + " in all)";
      more.hidden = chosen.length <= limit;
    }

    for (const control of Object.values(controls)) {
      control.addEventListener("input", () => { limit = LIMIT; render(); });
    }
    more.addEventListener("click", () => { limit += LIMIT * 4; render(); });
    render();
  }

  function subjectFromHash() {
    const match = /(?:^#|&)subject=([^&]+)/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  async function subjects() {
    const select = document.getElementById("subject-select");
    const view = document.getElementById("subject-view");
    if (!select || !view) return;
    const options = [...select.options];
    let shown = null;

    async function show(usubjid) {
      const option = options.find((o) => o.value === usubjid);
      if (!option) {
        view.textContent = "Subject " + usubjid + " is not in this report.";
        return;
      }
      if (shown === usubjid) return;
      shown = usubjid;
      select.value = usubjid;
      view.innerHTML = await unpack(option.dataset.block);
      view.dataset.usubjid = usubjid;
    }

    function go(offset) {
      const index = Math.max(0, Math.min(options.length - 1, select.selectedIndex + offset));
      location.hash = "subject=" + encodeURIComponent(options[index].value);
    }

    select.addEventListener("change", () => {
      location.hash = "subject=" + encodeURIComponent(select.value);
    });
    document.getElementById("subject-prev").addEventListener("click", () => go(-1));
    document.getElementById("subject-next").addEventListener("click", () => go(1));
    window.addEventListener("hashchange", () => {
      const usubjid = subjectFromHash();
      if (usubjid) {
        show(usubjid)
          .then(() => document.getElementById("subjects").scrollIntoView())
          .catch(failed);
      }
    });
    await show(subjectFromHash() || (options.length ? options[0].value : ""));
    if (subjectFromHash()) document.getElementById("subjects").scrollIntoView();
  }

  function failed(error) {
    // Say on the page what went wrong (e.g. a browser without DecompressionStream), and
    // report it as an error so that the browser test sees it.
    const view = document.getElementById("subject-view");
    if (view) view.textContent = "This page could not be drawn: " + error;
    console.error(error);
  }

  const ready = Promise.all([findingsTable(), subjects()])
    .catch(failed)
    .then(() => {
      document.body.dataset.ready = "1";
    });
  window.sdtmReview = { ready: ready, unpack: unpack };
})();
