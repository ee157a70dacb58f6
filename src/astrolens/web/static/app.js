// astrolens search page: plain JavaScript over the JSON API of the same server (no framework,
// nothing loaded from elsewhere).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TABLE_COLUMNS = [
  "rank", "object_id", "distance", "rrf_score", "period_match", "class", "subclass", "mission", "cadence",
  "mag", "period_days", "amplitude",
  "redshift", "mag_r", "half_light_radius_arcsec", "sersic_n", "bulge_fraction", "inclination_deg",
];

const $ = (selector) => document.querySelector(selector);
// indexes: those the server serves (GET /api/indexes); index: the one searched (null: the
// server's default); searched: whether a search was asked for (switching the index repeats it).
// ticket: the number of the latest search (an answer to an older one is dropped); map: the
// index's embedding map (GET /api/map), drawn beside the results.
const state = {
  mode: "object", lastUpload: null, indexes: [], index: null, searched: false, lastResult: null,
  uploadKind: "lightcurve", ticket: 0, map: null, mapShown: null,
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
  $("#anomalies-link").addEventListener("click", (event) => {
    event.preventDefault();
    showAnomalies("push");
  });
  window.addEventListener("popstate", () => followAddress("none"));
  setUpMap();
  await loadIndexes();
  try {
    await loadFilters();
  } catch (error) {
    showStatus(error.message, true);
  }
  await followAddress("replace");
  describeIndex();
  loadMap();
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
  for (const id of ["#period-min", "#period-max"]) {
    $(id).parentElement.hidden = !catalog.period_range;  // none for galaxies or without periods
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
  loadMap();
  const last = state.lastResult;
  if (state.mode === "random" && last && last.query.kind === "random") {
    searchObject(last.query.object_ids[0], "replace");
  } else {
    search("replace");
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

// -- the address: every search is a link ---------------------------------------------------------

// The page's address holds the search shown (kind, ids or position or seed, k, filters, index):
// /?kind=object&id=KIC%20900000003&k=8&class=EA&index=demo-default. Each search adds an entry to
// the browser's history (back steps through them); opening or reloading an address repeats its
// search; an address without a search opens on an example object of the index.
const ADDRESS_FILTERS = {
  mission: "#mission", mag_window: "#mag-window", mag_min: "#mag-min", mag_max: "#mag-max",
  period_min: "#period-min", period_max: "#period-max",
};

// The page address of a search: the API parameters, less those only the API needs.
function addressOf(kind, params) {
  const address = new URLSearchParams(params);
  address.delete("parameters");
  address.delete("index");
  address.set("kind", kind);
  if (state.index) address.set("index", state.index);
  return `/?${address}`;
}

function remember(kind, params, history) {
  const address = addressOf(kind, params);
  if (history === "push" && address !== `${window.location.pathname}${window.location.search}`) {
    window.history.pushState(null, "", address);
  } else if (history !== "none") {
    window.history.replaceState(null, "", address);
  }
}

// Show what the address says: its search, the anomalies, or (nothing) an example object.
async function followAddress(history) {
  const address = new URLSearchParams(window.location.search);
  const kind = address.get("kind") || (address.get("id") ? "object" : null);
  if (address.get("view") === "anomalies") {
    await showAnomalies("none");
    return;
  }
  $("#anomalies").hidden = true;
  if (!kind) {
    await showExample(history);
    return;
  }
  fillForm(kind, address);
  if (kind === "upload") {
    $("#results").hidden = true;
    state.searched = false;
    showStatus("This address was a search by an uploaded file, and uploads are not kept: choose the file again and press Search.");
    return;
  }
  search("none");
}

// The form as the address says (so that Search repeats it, and its filters stay chosen).
function fillForm(kind, address) {
  setMode(["object", "coordinates", "upload", "examples", "random"].includes(kind) ? kind : "object");
  if (address.get("k")) $("#k").value = address.get("k");
  const ids = address.getAll("id");
  $("#object-id").value = kind === "object" ? ids[0] || "" : $("#object-id").value;
  if (kind === "examples") $("#example-ids").value = ids.join("\n");
  for (const [name, selector] of [["ra", "#ra"], ["dec", "#dec"], ["radius_arcsec", "#radius"], ["seed", "#seed"]]) {
    if (address.has(name)) $(selector).value = address.get(name);
  }
  if (address.get("combine")) {
    $("#combine").value = address.get("combine");
    $("#upload-combine-method").value = address.get("combine");
  }
  for (const [name, selector] of Object.entries(ADDRESS_FILTERS)) {
    $(selector).value = address.get(name) || "";
  }
  const classes = new Set(address.getAll("class"));
  document.querySelectorAll("#classes input").forEach((input) => {
    input.checked = classes.has(input.value);
  });
  summariseClasses();
}

// The first view: the neighbours of an object of the index, drawn at random among those with a
// period (GET /api/example), so that a visitor sees at once what the page does.
async function showExample(history) {
  let example;
  try {
    example = await getJson(withIndex("/api/example"));
  } catch (error) {
    showStatus(error.message, true);
    return;
  }
  state.example = example.object_id;
  searchObject(example.object_id, history);
}

// -- the anomalies -------------------------------------------------------------------------------

// The objects least like any other (largest distance to their 10th neighbour), each a button
// that searches from it.
async function showAnomalies(history) {
  if (history === "push") window.history.pushState(null, "", addressOfView("anomalies"));
  const section = $("#anomalies");
  section.hidden = false;
  $("#results").hidden = true;
  const list = $("#anomaly-list");
  list.replaceChildren();
  showStatus("Scoring every object by its distance to its 10th neighbour…");
  let answer;
  try {
    answer = await getJson(withIndex("/api/anomalies", new URLSearchParams({ n: "20" })));
  } catch (error) {
    showStatus(error.message, true);
    return;
  }
  for (const object of answer.objects) {
    const item = document.createElement("li");
    const button = element("button", "anomaly", "");
    button.type = "button";
    button.dataset.objectId = object.object_id;
    button.append(element("strong", "", object.object_id));
    const facts = [object.class, object.mission, object.period_days == null ? null : `P = ${format(object.period_days)} d`];
    button.append(element("span", "muted", ` ${facts.filter(Boolean).join(" · ")}`));
    button.append(element("span", "score", `score ${format(object.anomaly_score)}`));
    button.title = `The neighbours of ${object.object_id}`;
    button.addEventListener("click", () => {
      section.hidden = true;
      searchObject(object.object_id);
    });
    item.append(button);
    list.append(item);
  }
  showStatus(`The ${answer.objects.length} objects least like any other (distance to their ${answer.k}th nearest neighbour in embedding space): choose one to see its neighbours.`);
}

function addressOfView(view) {
  const address = new URLSearchParams({ view });
  if (state.index) address.set("index", state.index);
  return `/?${address}`;
}

// -- searching ----------------------------------------------------------------------------------

function searchObject(objectId, history = "push") {
  setMode("object");
  $("#object-id").value = objectId;
  search(history);
}

function commonParams() {
  const params = new URLSearchParams();
  if (severalIndexes()) params.set("index", state.index);
  params.set("k", $("#k").value || "5");
  params.set("parameters", "true");
  checkedClasses().forEach((name) => params.append("class", name));
  for (const [name, selector] of Object.entries(ADDRESS_FILTERS)) {
    const value = $(selector).value.trim();  // a filter the index has no column for is hidden
    if (value !== "" && !$(selector).parentElement.hidden) params.set(name, value);
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
    default:  // a seed drawn here when none is given, so that the address repeats the search
      params.set("seed", value("#seed") || String(Math.floor(Math.random() * 2 ** 31)));
      return ["/api/search/random", params, null];
  }
}

// Search as the form says. history: "push" (a new entry in the browser's history), "replace"
// (this entry's address becomes the search's) or "none" (the address is the search already).
async function search(history = "push") {
  let path, params, body;
  try {
    [path, params, body] = request();
  } catch (error) {
    showStatus(error.message, true);
    return;
  }
  remember(state.mode, params, history);
  $("#anomalies").hidden = true;
  state.searched = true;
  const ticket = ++state.ticket;
  const button = $("#search-button");
  button.disabled = true;
  $("#matches").replaceChildren();  // the matches shown are those of the query shown
  $("#answered-by").textContent = "";
  showStatus("Searching…");
  try {
    let result;
    if (body) {
      const withPicture = new URLSearchParams(params);
      withPicture.set("thumbnail", "true");
      result = await getJson(`${path}?${withPicture}`, { method: "POST", body });
      if (ticket !== state.ticket) return;
      state.lastUpload = { path, params, files: body.getAll("file") };
    } else {
      result = await getJson(`${path}?${params}`);
      if (ticket !== state.ticket) return;  // a later search was asked for meanwhile
      state.lastUpload = null;
    }
    state.lastResult = result;
    render(result, path, params);
    showStatus(describe(result));
  } catch (error) {
    if (ticket === state.ticket) showStatus(error.message, true);
  } finally {
    if (ticket === state.ticket) button.disabled = false;
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
  const example = query.object_ids[0] === state.example && query.kind === "object"
    ? " (an example: search for your own object above, or choose one on the map)" : "";
  return `${result.count} objects most similar to ${query.label}${where}${by}${example}`;
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
  state.mapShown = result.map;
  drawMap();
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
  const examples = query.thumbnails || [];
  if (query.thumbnail) {
    card.append(thumbnailImage(query.thumbnail, `${pictureWords()} of ${query.label}`));
  } else if (examples.length > 0) {  // a query of several examples: each of them, small
    const strip = element("div", "query-examples", "");
    examples.forEach((source, number) => {
      const image = thumbnailImage(source, `${pictureWords()} of example ${number + 1}`);
      image.classList.add("example");
      strip.append(image);
    });
    card.append(strip);
  } else {
    card.append(element("div", "no-picture", "no picture"));
  }
  card.append(element("h3", "card-title", query.label));
  const object = query.object || {};
  const facts = [object.class, object.mission, object.mag == null ? null : `mag ${format(object.mag)}`];
  card.append(element("p", "card-facts", facts.filter(Boolean).join(" · ")));
  if (query.period) {
    const source = query.period.source === "catalogue" ? "catalogued period" : "its own Lomb-Scargle period";
    card.append(element("p", "card-period", `folded at P = ${format(query.period.days)} d (${source})`));
  }
  card.append(linksOut(query.links || []));
}

// Links to where an object is real (catalogue pages, archives); nothing is fetched from them.
function linksOut(links) {
  const box = element("p", "links-out", "");
  for (const link of links) {
    const anchor = element("a", "", link.label);
    anchor.href = link.url;
    anchor.title = link.title || link.label;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    box.append(anchor, " ");
  }
  box.hidden = !links.length;
  return box;
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
    if (match.period_days != null) {
      // period_match: the query's own periodogram supports this period (1/3 to 4 times its own)
      const fits = match.period_match === true ? " · fits the query's period" : "";
      card.append(element("p", "card-period", `P = ${format(match.period_days)} d${fits}`));
    }
    card.addEventListener("click", () => searchObject(match.object_id));
    const cell = element("div", "match", "");
    cell.append(card, linksOut((result.links || {})[match.object_id] || []));
    grid.append(cell);
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
        link.href = addressOf("object", new URLSearchParams({ id: value, k: $("#k").value || "5" }));
        link.addEventListener("click", (event) => {
          event.preventDefault();
          searchObject(value);
        });
        cell.append(link);
      } else {
        if (typeof value === "boolean") cell.textContent = value ? "yes" : "no";
        else cell.textContent = typeof value === "number" ? format(value) : value ?? "–";
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
  // magnitudes: brighter (smaller) to the right, as astronomers read them
  const inverted = parameter.unit === "mag" || /^mag(_|$)/.test(parameter.column);
  const fraction = (value) => (inverted ? high - value : value - low) / (high - low);
  const x = (value) => pad.left + fraction(value) * (width - pad.left - pad.right);
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
    const left = Math.min(x(edges[bin]), x(edges[bin + 1]));
    add("rect", {
      class: "bar", x: left + 0.5, y: y(count),
      width: Math.max(Math.abs(x(edges[bin + 1]) - x(edges[bin])) - 1, 1), height: y(0) - y(count),
    });
  });
  add("line", { class: "axis", x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0) });
  const marker = (value, name) => {
    if (value == null || value < low || value > high) return;
    add("line", { class: name, x1: x(value), x2: x(value), y1: pad.top, y2: y(0) });
  };
  marker(parameter.median, "median");
  marker(parameter.query, "query");
  const ends = inverted ? [[high, "start"], [low, "end"]] : [[low, "start"], [high, "end"]];
  for (const [value, anchor] of ends) {
    add("text", { x: x(value), y: height - 6, "text-anchor": anchor }).textContent = format(value);
  }
  svg.dataset.inverted = String(inverted);
  return svg;
}

// -- the embedding map ----------------------------------------------------------------------------

// The index's t-SNE map (a sample of at most a few thousand objects, whatever the index's size),
// coloured by class; the query and its matches marked. Hovering names an object, clicking one
// searches from it; with the keyboard, the map takes the focus and Enter searches from the point
// the arrows step to.
// Kelly's colours of maximum contrast (white and black left out): 16 classes told apart.
const MAP_COLOURS = [
  "#875692", "#f38400", "#a1caf1", "#be0032", "#c2b280", "#848482", "#008856", "#e68fac",
  "#0067a5", "#f99379", "#604e97", "#f6a600", "#b3446c", "#dcd300", "#882d17", "#8db600",
];
const MAP_PAD = 14;

function setUpMap() {
  const canvas = $("#map");
  canvas.addEventListener("mousemove", (event) => pointAt(event) === null ? hideTip() : showTip(pointAt(event)));
  canvas.addEventListener("mouseleave", hideTip);
  canvas.addEventListener("click", (event) => {
    const point = pointAt(event);
    if (point !== null) searchObject(state.map.object_id[point]);
  });
  canvas.addEventListener("keydown", stepOnMap);
  window.addEventListener("resize", drawMap);
}

async function loadMap() {
  state.map = null;
  try {
    state.map = await getJson(withIndex("/api/map"));
  } catch (error) {
    $("#map-section").hidden = true;  // an index folder kept without a map
    return;
  }
  $("#map-section").hidden = false;
  const map = state.map;
  $("#map-about").textContent =
    `${map.method} map of ${map.n_mapped === map.n_indexed ? "all" : "a random sample of"} ` +
    `${map.n_mapped.toLocaleString()} of the ${map.n_indexed.toLocaleString()} objects, coloured by class`;
  const legend = $("#map-legend");
  legend.replaceChildren();
  map.classes.forEach((name, code) => {
    const key = element("span", "map-key", name);
    key.style.setProperty("--colour", MAP_COLOURS[code % MAP_COLOURS.length]);
    legend.append(key);
  });
  drawMap();
}

// Pixel position of map coordinates (x, y in [-1, 1]) on the canvas, in CSS pixels.
function mapTransform() {
  const canvas = $("#map");
  const width = canvas.clientWidth, height = canvas.clientHeight;
  const halfHeight = height / 2 - MAP_PAD;
  const halfWidth = Math.min(width / 2 - MAP_PAD, 1.6 * halfHeight);  // wide, not distorted much
  return (x, y) => [width / 2 + x * halfWidth, height / 2 - y * halfHeight];
}

// Where an object of the map is on the page (for the tests, and the keyboard).
function mapPixel(objectId) {
  const index = state.map ? state.map.object_id.indexOf(objectId) : -1;
  if (index < 0) return null;
  const [x, y] = mapTransform()(state.map.x[index], state.map.y[index]);
  const box = $("#map").getBoundingClientRect();
  return [box.left + x, box.top + y];
}

function drawMap() {
  const canvas = $("#map");
  const map = state.map;
  if (!map || $("#map-section").hidden) return;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(canvas.clientWidth * ratio);
  canvas.height = Math.round(canvas.clientHeight * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  const at = mapTransform();
  context.globalAlpha = 0.75;
  for (let i = 0; i < map.x.length; i++) {
    const [x, y] = at(map.x[i], map.y[i]);
    context.fillStyle = map.class[i] < 0 ? "#8a96a8" : MAP_COLOURS[map.class[i] % MAP_COLOURS.length];
    context.fillRect(x - 2, y - 2, 4, 4);
  }
  context.globalAlpha = 1;
  const shown = state.mapShown;
  if (shown) {
    context.lineWidth = 1.5;
    context.strokeStyle = "#1d2330";
    for (const match of shown.matches) {
      const [x, y] = at(match.x, match.y);
      context.beginPath();
      context.arc(x, y, 5, 0, 2 * Math.PI);
      context.stroke();
    }
    const [x, y] = at(...shown.query);
    context.lineWidth = 3;
    context.strokeStyle = "#b3422f";
    context.beginPath();
    context.arc(x, y, 8, 0, 2 * Math.PI);
    context.stroke();
  }
  if (state.mapFocus != null) {
    const [x, y] = at(map.x[state.mapFocus], map.y[state.mapFocus]);
    context.lineWidth = 2;
    context.strokeStyle = "#2f5fb3";
    context.strokeRect(x - 6, y - 6, 12, 12);
  }
}

// The mapped point nearest to the mouse, if within 8 pixels.
function pointAt(event) {
  const map = state.map;
  if (!map) return null;
  const box = $("#map").getBoundingClientRect();
  const mouseX = event.clientX - box.left, mouseY = event.clientY - box.top;
  const at = mapTransform();
  let best = null, bestDistance = 64;
  for (let i = 0; i < map.x.length; i++) {
    const [x, y] = at(map.x[i], map.y[i]);
    const distance = (x - mouseX) ** 2 + (y - mouseY) ** 2;
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  return best;
}

function showTip(point) {
  const map = state.map;
  const tip = $("#map-tip");
  const name = map.class[point] < 0 ? "" : ` (${map.classes[map.class[point]]})`;
  tip.textContent = `${map.object_id[point]}${name}`;
  const [x, y] = mapTransform()(map.x[point], map.y[point]);
  tip.style.left = `${x + 10}px`;
  tip.style.top = `${y + 10}px`;
  tip.hidden = false;
  $("#map").style.cursor = "pointer";
}

function hideTip() {
  $("#map-tip").hidden = true;
  $("#map").style.cursor = "";
}

// Arrow keys step to the nearest mapped point in that direction, Enter searches from it.
function stepOnMap(event) {
  const map = state.map;
  if (!map || !map.x.length) return;
  const directions = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  if (event.key === "Enter" && state.mapFocus != null) {
    event.preventDefault();
    searchObject(map.object_id[state.mapFocus]);
    return;
  }
  const direction = directions[event.key];
  if (!direction) return;
  event.preventDefault();
  const from = state.mapFocus;
  if (from == null) {
    state.mapFocus = 0;
  } else {
    let best = null, bestScore = Infinity;
    for (let i = 0; i < map.x.length; i++) {
      const dx = map.x[i] - map.x[from], dy = map.y[i] - map.y[from];
      const along = dx * direction[0] + dy * direction[1];
      if (i === from || along <= 0) continue;
      const score = dx * dx + dy * dy + 3 * (dx * direction[1] - dy * direction[0]) ** 2;
      if (score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    if (best !== null) state.mapFocus = best;
  }
  drawMap();
  showTip(state.mapFocus);
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
