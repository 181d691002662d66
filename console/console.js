// The console's live view: polls the local API (GET api/live, served by `harness serve` beside
// this page) and renders what the pipeline did. Every value is set as text, never as markup:
// events come from clients and may hold anything.

const REFRESH_MS = 2000;
const api = new URL("api/live", location.href);

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function fill(sectionId, rows, columns, total) {
  const section = document.getElementById(sectionId);
  const body = section.querySelector("tbody");
  const count = section.querySelector(".count");
  count.textContent = total === undefined ? `(${rows.length})` : `(${rows.length} of ${total})`;
  const fresh = rows.map((row) => {
    const tr = document.createElement("tr");
    for (const [value, className] of columns(row)) tr.append(cell(value, className));
    return tr;
  });
  if (fresh.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("nothing yet", "empty");
    td.colSpan = section.querySelectorAll("th").length;
    tr.append(td);
    fresh.push(tr);
  }
  body.replaceChildren(...fresh);
}

function short(text, length = 8) {
  return typeof text === "string" && text.length > length ? `${text.slice(0, length)}…` : text;
}

function time(text) {
  return typeof text === "string" ? text.replace("T", " ").replace(/\.\d+Z$/, "Z") : text;
}

function render(live) {
  document.getElementById("meta").textContent =
    `stack ${live.stack} · ${live.workflow_type} · updated ${time(live.generated_at)}`;
  fill("executions", live.executions, (x) => [
    [short(x.name, 18), "mono"],
    [x.status, `status-${x.status}`],
    [time(x.start)],
    [x.written],
    [x.already_present],
    [x.rejected],
  ]);
  fill("items", live.items, (x) => [
    [time(x.received_at)],
    [short(x.user_id, 18), "mono"],
    [x.action],
    [x.page, "wrap"],
    [short(x.session_id), "mono"],
  ], live.counts.items);
  fill("rejected", live.rejected, (x) => [
    [x.reason, "reason"],
    [x.detail, "wrap"],
    [short(x.event_id), "mono"],
    [short(x.key.split("/").pop(), 12), "mono"],
  ], live.counts.rejected);
  const dlqs = document.querySelector("#dlqs .dlqs");
  dlqs.replaceChildren(...live.dlqs.map((queue) => {
    const box = document.createElement("div");
    const depth = document.createElement("div");
    depth.className = `depth ${queue.visible + queue.in_flight === 0 ? "zero" : "some"}`;
    depth.textContent = String(queue.visible + queue.in_flight);
    const name = document.createElement("div");
    name.className = "mono";
    name.textContent = queue.name;
    box.append(depth, name);
    return box;
  }));
}

async function refresh() {
  try {
    const response = await fetch(api, { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (error) {
    const meta = document.getElementById("meta");
    meta.textContent = `cannot read ${api.pathname}: ${error.message}`;
    meta.className = "meta error";
  }
  setTimeout(refresh, REFRESH_MS);
}

refresh();
