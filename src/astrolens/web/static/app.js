// astrolens search page: plain JavaScript over the JSON API of the same server (no framework,
// nothing loaded from elsewhere).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TABLE_COLUMNS = [
  "rank", "object_id", "distance", "rrf_score", "class", "subclass", "mission", "cadence",
  "mag", "period_days", "amplitude",
  "redshift", "mag_r", "half_light_radius_arcsec", "sersic_n", "bulge_fraction", "inclination_deg",
];

const $ = (selector) => document.querySelector(selector);
// indexes: those the server serves (GET /api/indexes); index: the one searched (null: the
// server's default); searched: whether a search was asked for (switching the index repeats it).
const state = {
  mode: "object", lastUpload: null, indexes: [], index: null, searched: false, lastResult: null,
  uploadKind: "lightcurve",
};

document.addEventListener("DOMContentLoaded", async () => {
  document.querySelectorAll('input[name="mode"]').forEach((radio) => {
    radio.addEventListener("change", () => setMode(radio.value));
  });
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  $("#csv-link").addEventListener("click", downloadUploadCsv);
  $("#index").addEventListener("change", switchIndex);
  $("#file").addEventListener("change", () => {
    $("#upload-combine").hidden = $("#file").files.length < 2;
  });
  await loadIndexes();
  describeIndex();
  loadFilters();
  startFromAddress();
});

// -- set-up -------------------------------------------------------------------------------------

// The indexes served; with several, the "Encoder" choice lists them and the one in the address
// (?index=...) is chosen, else the server's default.
async function loadIndexes() {
  let listing;
  try {
    listing = await getJson("/api/indexes");
  } catch (error) {
    showStatus(`The server does not answer: ${error.message}`, true);
    return;
  }
  state.indexes = listing.indexes;
  const wanted = new URLSearchParams(window.location.search).get("index");
  const known = state.indexes.map((entry) => entry.name);
  state.index = known.includes(wanted) ? wanted : listing.default;
  if (wanted !== null && !known.includes(wanted)) {
    showStatus(`No index "${wanted}" here: searching ${listing.default} (one of ${known.join(", ")}).`, true);
  }
  const select = $("#index");
  for (const entry of state.indexes) {
    select.append(new Option(`${entry.name} (${entry.encoder})`, entry.name));
  }
  select.value = state.index;
  $("#index-choice").hidden = !severalIndexes();
}

// The index served decides what an upload is: a light curve or an image (or none without a model).
const UPLOADS = {
  lightcurve: {
    mode: "Light-curve file",
    label: "FITS or CSV light curve (one or several)",
    accept: ".fits,.fit,.fts,.gz,.csv,.txt,.dat,.ecsv",
  },
  image: {
    mode: "Image file",
    label: "JPEG, PNG or FITS image (one or several)",
    accept: ".jpg,.jpeg,.png,.fits,.fit,.fts,.gz",
  },
};

function offerUpload(kind) {
  state.uploadKind = kind;
  const offer = UPLOADS[kind] || UPLOADS.lightcurve;
  $("#upload-mode-label").textContent = offer.mode;
  $("#upload-label").textContent = offer.label;
  $("#file").accept = offer.accept;
  $("#upload-note").hidden = kind !== "image";
  const radio = document.querySelector('input[name="mode"][value="upload"]');
  radio.disabled = !kind;
  radio.parentElement.title = kind ? "" : "this index has no model run to embed an upload";
}

function severalIndexes() {
  return state.indexes.length > 1;
}

// A path of the API with the chosen index (only when there is a choice).
function withIndex(path, params = new URLSearchParams()) {
  const chosen = new URLSearchParams(params);
  if (severalIndexes()) chosen.set("index", state.index);
  const query = chosen.toString();
  return query ? `${path}?${query}` : path;
}

async function describeIndex() {
  try {
    const health = await getJson(withIndex("/api/health"));
    const encoder = severalIndexes() ? `, encoder ${health.encoder}` : "";
    $("#index-info").textContent =
      `${health.count.toLocaleString()} objects of the ${health.catalog}, model run ${health.run}${encoder}`;
    offerUpload(health.upload_kind);
  } catch (error) {
    showStatus(`The server does not answer: ${error.message}`, true);
  }
}

// The filters' choices: the missions and classes of the chosen index's catalogue (those chosen
// before and still there stay chosen).
async function loadFilters() {
  const catalog = await getJson(withIndex("/api/catalog"));
  const missions = $("#mission");
  const mission = missions.value;
  missions.replaceChildren(new Option("any", ""));
  for (const name of catalog.missions || []) {
    missions.append(new Option(name, name));
  }
  missions.value = (catalog.missions || []).includes(mission) ? mission : "";
  missions.parentElement.hidden = !(catalog.missions || []).length;
  for (const id of ["#mag-window", "#mag-min", "#mag-max"]) {
    $(id).parentElement.hidden = !("mag_range" in catalog);  // none in a catalogue of galaxies
  }
  const chosen = new Set(checkedClasses());
  const box = $("#classes");
  box.replaceChildren();
  for (const name of catalog.classes || []) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = name;
    input.checked = chosen.has(name);
    input.addEventListener("change", summariseClasses);
    label.append(input, ` ${name}`);
    box.append(label);
  }
  summariseClasses();
}

// Another index chosen: say so in the address, and ask it the query asked last (a random object's
// query becomes a search by that object, so that both indexes answer the same query).
async function switchIndex() {
  const kindOf = (name) => (state.indexes.find((entry) => entry.name === name) || {}).upload_kind;
  const sameKind = kindOf(state.index) === kindOf($("#index").value);
  state.index = $("#index").value;
  const address = new URLSearchParams(window.location.search);
  address.set("index", state.index);
  window.history.replaceState(null, "", `/?${address}`);
  describeIndex();
  try {
    await loadFilters();
  } catch (error) {
    showStatus(error.message, true);
    return;
  }
  if (!state.searched) return;
  if (!sameKind) {  // light curves and images: the last query means nothing to the other index
    $("#results").hidden = true;
    state.searched = false;
    const holds = kindOf(state.index) === "image" ? "galaxy images" : "light curves";
    showStatus(`Now searching ${state.index}, an index of ${holds}.`);
    return;
  }
  const last = state.lastResult;
  if (state.mode === "random" && last && last.query.kind === "random") {
    searchObject(last.query.object_ids[0]);
  } else {
    search();
  }
}

function summariseClasses() {
  const chosen = checkedClasses();
  $("#class-summary").textContent = chosen.length ? chosen.join(", ") : "any";
}

function checkedClasses() {
  return [...document.querySelectorAll("#classes input:checked")].map((input) => input.value);
}

function setMode(mode) {
  state.mode = mode;
  document.querySelectorAll(".inputs > [data-mode]").forEach((group) => {
    group.hidden = group.dataset.mode !== mode;
  });
  const radio = document.querySelector(`input[name="mode"][value="${mode}"]`);
  if (radio) radio.checked = true;
}

// A link such as /?id=KIC%20900000003&k=8 opens with that search.
function startFromAddress() {
  const params = new URLSearchParams(window.location.search);
  if (params.get("k")) $("#k").value = params.get("k");
  if (params.get("id")) {
    searchObject(params.get("id"));
  }
}

// -- searching ----------------------------------------------------------------------------------

function searchObject(objectId) {
  setMode("object");
  $("#object-id").value = objectId;
  search();
}

function commonParams() {
  const params = new URLSearchParams();
  if (severalIndexes()) params.set("index", state.index);
  params.set("k", $("#k").value || "5");
  params.set("parameters", "true");
  checkedClasses().forEach((name) => params.append("class", name));
  const fields = { mission: "#mission", mag_window: "#mag-window", mag_min: "#mag-min", mag_max: "#mag-max" };
  for (const [name, selector] of Object.entries(fields)) {
    const value = $(selector).value.trim();
    if (value !== "") params.set(name, value);
  }
  return params;
}

// The API request of the form's search: [path, params, body].
function request() {
  const params = commonParams();
  const value = (selector) => $(selector).value.trim();
  switch (state.mode) {
    case "object":
      if (!value("#object-id")) throw new Error("Type an object id, e.g. KIC 900000003.");
      params.set("id", value("#object-id"));
      return ["/api/search/object", params, null];
    case "coordinates":
      if (!value("#ra") || !value("#dec")) throw new Error("Give both right ascension and declination.");
      params.set("ra", value("#ra"));
      params.set("dec", value("#dec"));
      if (value("#radius")) params.set("radius_arcsec", value("#radius"));
      return ["/api/search/coordinates", params, null];
    case "upload": {
      const files = [...$("#file").files];
      if (!files.length) throw new Error(`Choose ${uploadWords()}.`);
      const body = new FormData();
      files.forEach((file) => body.append("file", file));
      if (files.length > 1) params.set("combine", $("#upload-combine-method").value);
      return ["/api/search/upload", params, body];
    }
    case "examples": {
      const ids = value("#example-ids").split(/[\n,;]+/).map((id) => id.trim()).filter(Boolean);
      if (!ids.length) throw new Error("Give one or more object ids, one per line.");
      ids.forEach((id) => params.append("id", id));
      params.set("combine", $("#combine").value);
      return ["/api/search/examples", params, null];
    }
    default:
      if (value("#seed")) params.set("seed", value("#seed"));
      return ["/api/search/random", params, null];
  }
}

async function search() {
  let path, params, body;
  try {
    [path, params, body] = request();
  } catch (error) {
    showStatus(error.message, true);
    return;
  }
  state.searched = true;
  const button = $("#search-button");
  button.disabled = true;
  showStatus("Searching…");
  try {
    let result;
    if (body) {
      const withPicture = new URLSearchParams(params);
      withPicture.set("thumbnail", "true");
      result = await getJson(`${path}?${withPicture}`, { method: "POST", body });
      state.lastUpload = { path, params, files: body.getAll("file") };
    } else {
      result = await getJson(`${path}?${params}`);
      state.lastUpload = null;
    }
    state.lastResult = result;
    render(result, path, params);
    showStatus(describe(result));
  } catch (error) {
    showStatus(error.message, true);
  } finally {
    button.disabled = false;
  }
}

async function getJson(url, options = {}) {
  const response = await fetch(url, options);
  const text = await response.text();
  let payload;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    payload = { detail: text || response.statusText };
  }
  if (!response.ok) {
    throw new Error(`${response.status}: ${payload.detail || response.statusText}`);
  }
  return payload;
}

function describe(result) {
  const query = result.query;
  const where = query.separation_arcsec == null ? "" : ` (${format(query.separation_arcsec)}″ from the position)`;
  const by = severalIndexes() ? `, by the ${answeredBy(result)}` : "";
  return `${result.count} objects most similar to ${query.label}${where}${by}`;
}

// "features encoder (index tiny-features)": which index answered.
function answeredBy(result) {
  return `${result.encoder} encoder (index ${result.index})`;
}

function showStatus(message, isError = false) {
  const status = $("#status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

// CSV of an upload's search: the file is sent again with format=csv.
async function downloadUploadCsv(event) {
  if (!state.lastUpload) return;
  event.preventDefault();
  const { path, params, files } = state.lastUpload;
  const csvParams = new URLSearchParams(params);
  csvParams.set("format", "csv");
  const body = new FormData();
  files.forEach((file) => body.append("file", file));
  try {
    const response = await fetch(`${path}?${csvParams}`, { method: "POST", body });
    if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    link.download = named ? named[1] : "astrolens-matches.csv";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    showStatus(error.message, true);
  }
}

// -- drawing the results --------------------------------------------------------------------------

function render(result, path, params) {
  $("#results").hidden = false;
  $("#answered-by").textContent = severalIndexes() ? `by the ${answeredBy(result)}` : "";
  renderDomain(result.domain, result.query);
  renderQuery(result.query);
  renderMatches(result);
  renderTable(result);
  renderHistograms(result.parameters);
  const csvParams = new URLSearchParams(params);
  csvParams.set("format", "csv");
  $("#csv-link").href = `${path}?${csvParams}`;
  if (path === "/api/search/object") {
    window.history.replaceState(null, "", `/?${params}`);
  }
}

// A query unlike anything the survey and model know: say so above its matches.
function renderDomain(domain, query) {
  const warning = $("#domain-warning");
  warning.hidden = !domain || domain.in_domain;
  const one = state.uploadKind === "image" ? "your image" : "your light curve";
  const yours = query.kind === "examples" ? "one of your files" : one;
  warning.textContent = warning.hidden ? "" : `Take these matches with care: ${yours} is ${domain.warning}.`;
}

function renderQuery(query) {
  const card = $("#query");
  card.replaceChildren();
  const yours = { lightcurve: "your light curve", image: "your image" }[query.kind];
  const heading = element("p", "card-kind", yours || `query (${query.kind})`);
  card.append(heading);
  if (query.thumbnail) {
    card.append(thumbnailImage(query.thumbnail, `${pictureWords()} of ${query.label}`));
  } else {
    card.append(element("div", "no-picture", "no picture"));
  }
  card.append(element("h3", "card-title", query.label));
  const object = query.object || {};
  const facts = [object.class, object.mission, object.mag == null ? null : `mag ${format(object.mag)}`];
  card.append(element("p", "card-facts", facts.filter(Boolean).join(" · ")));
}

function renderMatches(result) {
  const grid = $("#matches");
  grid.replaceChildren();
  if (!result.matches.length) {
    grid.append(element("p", "muted", "No object passes the filters."));
  }
  for (const match of result.matches) {
    const card = document.createElement("button");
    card.type = "button";
    card.className = "card match-card";
    card.dataset.objectId = match.object_id;
    card.title = `Search from ${match.object_id}`;
    card.append(
      thumbnailImage(thumbnailUrl(match.object_id), `${pictureWords()} of ${match.object_id}`),
      element("h3", "card-title", `#${match.rank} ${match.object_id}`),
      element("p", "card-facts", [match.class, match.mission].filter(Boolean).join(" · ")),
      element("p", "card-distance", `distance ${format(match.distance)}`),
    );
    card.addEventListener("click", () => searchObject(match.object_id));
    grid.append(card);
  }
}

function renderTable(result) {
  const columns = TABLE_COLUMNS.filter((name) => result.columns.includes(name));
  const table = $("#results-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const name of columns) {
    const cell = document.createElement("th");
    cell.textContent = result.units[name] ? `${name} [${result.units[name]}]` : name;
    head.append(cell);
  }
  const body = table.createTBody();
  for (const match of result.matches) {
    const row = body.insertRow();
    for (const name of columns) {
      const cell = row.insertCell();
      const value = match[name];
      if (name === "object_id") {
        const link = element("a", "", value);
        link.href = withIndex("/", new URLSearchParams({ id: value }));
        link.addEventListener("click", (event) => {
          event.preventDefault();
          searchObject(value);
        });
        cell.append(link);
      } else {
        cell.textContent = typeof value === "number" ? format(value) : value ?? "–";
        if (typeof value === "number") cell.className = "number";
      }
    }
  }
}

function renderHistograms(parameters) {
  const box = $("#histograms");
  box.replaceChildren();
  // a parameter that one match has (a lens's Einstein radius) makes no distribution
  const shown = (parameters || []).filter((parameter) => parameter.n >= 2);
  if (!shown.length) box.append(element("p", "muted", "No physical parameter shared by the matches."));
  for (const parameter of shown) {
    const figure = element("figure", "histogram", "");
    figure.append(histogramSvg(parameter));
    const caption = element("figcaption", "", parameter.label);
    caption.append(element("span", "muted", ` median ${format(parameter.median)}, n = ${parameter.n}`));
    figure.append(caption);
    box.append(figure);
  }
}

function histogramSvg(parameter) {
  const width = 240, height = 120, pad = { left: 6, right: 6, top: 8, bottom: 20 };
  const { edges, counts } = parameter.histogram;
  const low = edges[0], high = edges[edges.length - 1];
  const x = (value) => pad.left + ((value - low) / (high - low)) * (width - pad.left - pad.right);
  const tallest = Math.max(...counts, 1);
  const y = (count) => height - pad.bottom - (count / tallest) * (height - pad.top - pad.bottom);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `histogram of ${parameter.label}`);
  const add = (name, attributes) => {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    svg.append(node);
    return node;
  };
  if (parameter.p16 != null && parameter.p84 != null) {
    add("rect", {
      class: "band", x: x(parameter.p16), y: pad.top,
      width: Math.max(x(parameter.p84) - x(parameter.p16), 1), height: height - pad.top - pad.bottom,
    });
  }
  counts.forEach((count, bin) => {
    if (!count) return;
    add("rect", {
      class: "bar", x: x(edges[bin]) + 0.5, y: y(count),
      width: Math.max(x(edges[bin + 1]) - x(edges[bin]) - 1, 1), height: y(0) - y(count),
    });
  });
  add("line", { class: "axis", x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0) });
  const marker = (value, name) => {
    if (value == null || value < low || value > high) return;
    add("line", { class: name, x1: x(value), x2: x(value), y1: pad.top, y2: y(0) });
  };
  marker(parameter.median, "median");
  marker(parameter.query, "query");
  for (const [value, anchor] of [[low, "start"], [high, "end"]]) {
    add("text", { x: x(value), y: height - 6, "text-anchor": anchor }).textContent = format(value);
  }
  return svg;
}

// -- small helpers -------------------------------------------------------------------------------

function thumbnailUrl(objectId) {
  return withIndex(`/api/thumbnails/${encodeURIComponent(objectId)}.png`);
}

// What the upload form asks for.
function uploadWords() {
  return state.uploadKind === "image" ? "a JPEG, PNG or FITS image" : "a FITS or CSV light-curve file";
}

// What a thumbnail of the index served shows.
function pictureWords() {
  return state.uploadKind === "image" ? "picture" : "light curve and wavelet image";
}

function thumbnailImage(source, description) {
  const image = document.createElement("img");
  const picture = state.uploadKind === "image";
  image.className = picture ? "thumbnail picture" : "thumbnail";
  image.src = source;
  image.alt = description;
  image.width = picture ? 192 : 240;
  image.height = picture ? 192 : 200;
  image.loading = "lazy";
  image.addEventListener("error", () => image.classList.add("missing"));
  return image;
}

function element(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function format(value) {
  if (value == null || Number.isNaN(value)) return "–";
  const size = Math.abs(value);
  if (size !== 0 && (size >= 1e5 || size < 1e-3)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}
