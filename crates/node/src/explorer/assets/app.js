// The explorer's pages (docs/explorer.md). Every page is this script
// reading the node's JSON and rendering it; chain data is always escaped
// before it becomes markup. Checks that matter to the reader — a
// transaction's validity and a revealed amount — run in the reader's
// browser with the node's verifier compiled to WebAssembly.
"use strict";

const main = document.getElementById("main");
const POLL_MS = 2000;

function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const reason = body && body.reason ? body.reason : `${response.status} ${response.statusText}`;
    const error = new Error(reason);
    error.status = response.status;
    throw error;
  }
  return body;
}

function short(id) {
  return id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-8)}` : id;
}

function link(kind, id, text) {
  return `<a class="id" href="/${kind}/${esc(id)}" title="${esc(id)}">${esc(text === undefined ? id : text)}</a>`;
}

function when(ms) {
  if (!ms) return "—";
  return `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

function bytes(n) {
  if (n < 10000) return `${n} B`;
  return `${(n / 1000).toFixed(1)} kB`;
}

function feeRate(fee, size) {
  if (!size) return "—";
  return `${(fee * 1000 / size).toFixed(3)} per kB`;
}

function kv(rows) {
  return `<dl class="kv">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function setTitle(text) {
  document.title = `${text} · ZkVM explorer`;
}

function render(html) {
  main.innerHTML = html;
}

function failure(error) {
  const notFound = error && error.status === 404;
  setTitle(notFound ? "Not found" : "Error");
  render(`<h1>${notFound ? "Not found" : "Something went wrong"}</h1><p class="bad" id="error">${esc(error.message || error)}</p>`);
}

const CONFIDENTIAL = '<span class="confidential" title="Pedersen commitment: only the holder of its opening knows the amount">confidential</span>';

// ---- WebAssembly verifier (crates/verify-wasm) ----

let verifier = null;

async function loadVerifier() {
  if (verifier) return verifier;
  const response = await fetch("/explorer/verify.wasm");
  if (!response.ok) {
    let reason = `${response.status}`;
    try { reason = (await response.json()).reason; } catch (_) { /* keep the status */ }
    throw new Error(reason);
  }
  const code = await response.arrayBuffer();
  let exports = null;
  const imports = {
    env: {
      // The verifier's batch weights mix in fresh randomness.
      random_fill(ptr, len) {
        for (let at = 0; at < len; at += 65536) {
          const n = Math.min(65536, len - at);
          crypto.getRandomValues(new Uint8Array(exports.memory.buffer, ptr + at, n));
        }
      },
    },
  };
  const { instance } = await WebAssembly.instantiate(code, imports);
  exports = instance.exports;
  const call = (name, input) => {
    const ptr = exports.alloc(input.length);
    new Uint8Array(exports.memory.buffer, ptr, input.length).set(input);
    const code = exports[name](ptr, input.length);
    const out = new Uint8Array(exports.memory.buffer, exports.result_ptr(), exports.result_len());
    const text = new TextDecoder().decode(out.slice());
    exports.dealloc(ptr, input.length);
    return { ok: code === 0, text };
  };
  verifier = {
    verifyTx: (txBytes) => call("verify_tx", txBytes),
    checkOpening: (text) => call("check_opening", new TextEncoder().encode(text)),
  };
  return verifier;
}

function hexToBytes(hex) {
  const clean = hex.trim();
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

// Verifies `hex` in the browser; `expectId`, when given, must be its ID.
async function verifyInBrowser(hex, expectId) {
  const v = await loadVerifier();
  const txBytes = hexToBytes(hex);
  if (!txBytes) return { ok: false, text: "not hex", ms: 0 };
  const start = performance.now();
  const result = v.verifyTx(txBytes);
  const ms = performance.now() - start;
  if (result.ok && expectId && result.text !== expectId) {
    return { ok: false, text: `it verifies, but as ${result.text}, not ${expectId}`, ms };
  }
  return { ...result, ms };
}

function showVerification(node, result) {
  if (result.ok) {
    node.className = "ok";
    node.dataset.state = "verified";
    node.textContent = `✓ verified in your browser in ${result.ms.toFixed(1)} ms`;
  } else {
    node.className = "bad";
    node.dataset.state = "failed";
    node.textContent = `✗ does not verify: ${result.text}`;
  }
}

// ---- Home: latest blocks and the mempool, live ----

async function home() {
  setTitle("Latest blocks");
  render(`<h1>Latest blocks and pending transactions</h1>
    <div id="status" class="card" aria-live="polite"></div>
    <div class="grid">
      <section aria-labelledby="blocks-h"><h2 id="blocks-h">Latest blocks</h2><div id="blocks" class="card"></div></section>
      <section aria-labelledby="pool-h"><h2 id="pool-h">Mempool</h2><div id="mempool" class="card"></div></section>
    </div>`);
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const [status, list, pool] = await Promise.all([
        getJSON("/v1/status"), getJSON("/v1/blocks?limit=15"), getJSON("/v1/mempool"),
      ]);
      const statusNode = document.getElementById("status");
      if (!statusNode) return;
      statusNode.dataset.height = status.height;
      statusNode.innerHTML = kv([
        ["Height", `<span id="height">${esc(status.height)}</span>`],
        ["Tip", link("block", status.tip)],
        ["Tip time", esc(when(status.tip_timestamp_ms))],
        ["Mempool", `${esc(status.mempool.txs)} transactions, ${esc(bytes(status.mempool.bytes))}`],
        ["Peers", `<a href="/network">${esc(status.peers)}</a>`],
      ]);
      document.getElementById("blocks").innerHTML = `<table><thead><tr><th>Height</th><th>Block</th><th class="hide-narrow">Time</th><th>Txs</th><th class="hide-narrow">Size</th></tr></thead><tbody>${
        list.blocks.map((b) => `<tr><td>${link("block", String(b.height), b.height)}</td><td>${link("block", b.id, short(b.id))}</td><td class="hide-narrow">${esc(when(b.timestamp_ms))}</td><td>${esc(b.txs)}</td><td class="hide-narrow">${esc(bytes(b.size))}</td></tr>`).join("")
      }</tbody></table>`;
      const mempool = document.getElementById("mempool");
      mempool.dataset.count = pool.txs.length;
      mempool.innerHTML = pool.txs.length === 0
        ? '<p class="muted">No pending transactions.</p>'
        : `<table><thead><tr><th>Transaction</th><th>Size</th><th>Fee</th><th class="hide-narrow">Fee rate</th></tr></thead><tbody>${
          pool.txs.map((t) => `<tr><td>${link("tx", t.id, short(t.id))}</td><td>${esc(bytes(t.size))}</td><td>${esc(t.fee)}</td><td class="hide-narrow">${esc(feeRate(t.fee, t.size))}</td></tr>`).join("")
        }</tbody></table>`;
    } catch (error) {
      const statusNode = document.getElementById("status");
      if (statusNode) statusNode.innerHTML = `<p class="bad">The node did not answer: ${esc(error.message)}</p>`;
    } finally {
      busy = false;
    }
  };
  await refresh();
  setInterval(refresh, POLL_MS);
}

// ---- Block ----

async function blockPage(reference) {
  const b = await getJSON(`/explorer/api/block/${encodeURIComponent(reference)}`);
  const h = b.header;
  setTitle(`Block ${h.height}`);
  const nav = [];
  if (h.height > 1) nav.push(`<a href="/block/${h.height - 1}" rel="prev">← block ${h.height - 1}</a>`);
  if (h.height < b.tip) nav.push(`<a href="/block/${h.height + 1}" rel="next">block ${h.height + 1} →</a>`);
  render(`<h1>Block ${esc(h.height)}</h1>
    <p>${nav.join(" · ")}</p>
    <div class="card">${kv([
      ["Block ID", `<span class="id" id="block-id">${esc(h.id)}</span>`],
      ["Previous", h.height > 1 ? link("block", h.previd) : "—"],
      ["Time", esc(when(h.timestamp_ms))],
      ["Transactions", `<span id="tx-count">${esc(b.txs.length)}</span>`],
      ["Size", esc(bytes(b.size))],
      ["Version", esc(h.version)],
      ["Transaction root", `<span class="id">${esc(h.txroot)}</span>`],
      ["UTXO root", `<span class="id">${esc(h.utxoroot)}</span>`],
      ["Signed by", `<a class="id" href="/network">${esc(b.signers)}</a>`],
      ["Signature", b.signature ? `<span class="id">${esc(b.signature)}</span>` : "— (the initial block is not signed)"],
    ])}</div>
    <h2>Transactions</h2>
    <div class="card">${b.txs.length === 0 ? '<p class="muted">None.</p>'
      : `<table id="block-txs"><thead><tr><th>#</th><th>Transaction</th><th>Size</th></tr></thead><tbody>${
        b.txs.map((t, i) => `<tr><td>${i}</td><td>${link("tx", t.id)}</td><td>${esc(bytes(t.size))}</td></tr>`).join("")
      }</tbody></table>`}</div>`);
}

// ---- Transaction ----

function payloadHtml(item, revealId) {
  if (item.type === "value") {
    return `<div>value: quantity <span id="${revealId}-qty">${CONFIDENTIAL}</span>, asset <span id="${revealId}-asset">${CONFIDENTIAL}</span>
      <details><summary class="muted">commitments</summary><div class="id">qty ${esc(item.qty)}</div><div class="id">flv ${esc(item.flv)}</div></details></div>`;
  }
  if (item.type === "string") return `<div>string <span class="id">${esc(item.hex)}</span></div>`;
  if (item.type === "program") {
    return `<div>program<pre>${esc(item.asm === null || item.asm === undefined ? item.hex : item.asm)}</pre></div>`;
  }
  return `<div>${esc(item.type)}</div>`;
}

function logHtml(entry) {
  switch (entry.type) {
    case "header": return `header: version ${esc(entry.version)}, valid ${esc(when(entry.mintime_ms))} to ${entry.maxtime_ms >= 2 ** 53 ? "any time" : esc(when(entry.maxtime_ms))}`;
    case "input": return `input ${link("contract", entry.contract_id)}`;
    case "output": return `output ${link("contract", entry.contract_id)}`;
    case "issue": return `issue: quantity ${CONFIDENTIAL}, flavor commitment <span class="id">${esc(entry.flv)}</span>`;
    case "retire": return `retire: quantity ${CONFIDENTIAL}, flavor commitment <span class="id">${esc(entry.flv)}</span>`;
    case "fee": return `fee ${esc(entry.amount)}`;
    case "data": return `data <span class="id">${esc(entry.hex)}</span>`;
    default: return esc(entry.type);
  }
}

async function txPage(id) {
  const tx = await getJSON(`/explorer/api/tx/${encodeURIComponent(id)}`);
  setTitle(`Transaction ${short(tx.id)}`);
  const where = tx.status === "confirmed"
    ? `confirmed in ${link("block", tx.block_id || String(tx.height), `block ${tx.height}`)} at position ${esc(tx.index)}`
    : "pending (in the mempool)";
  const inputs = tx.inputs.length === 0 ? '<p class="muted">None (an issuance only).</p>'
    : `<table id="inputs"><thead><tr><th>#</th><th>Spends</th><th>Created by</th></tr></thead><tbody>${
      tx.inputs.map((input, i) => `<tr><td>${i}</td><td>${link("contract", input.contract_id, short(input.contract_id))}</td><td>${
        input.created_txid ? link("tx", input.created_txid, short(input.created_txid))
          : input.known ? "the genesis" : '<span class="muted">unknown to this node</span>'
      }</td></tr>`).join("")}</tbody></table>`;
  const outputs = tx.outputs.length === 0 ? '<p class="muted">None.</p>'
    : `<table id="outputs"><thead><tr><th>#</th><th>Contract</th><th>Payload</th><th>Spent by</th></tr></thead><tbody>${
      tx.outputs.map((out, o) => `<tr id="output-${o}"><td>${o}</td><td>${link("contract", out.contract_id, short(out.contract_id))}<div class="muted">predicate <span class="id">${esc(short(out.predicate))}</span></div></td><td>${
        out.payload.map((item, p) => payloadHtml(item, `out-${o}-${p}`)).join("")
      }</td><td>${out.spent_txid ? link("tx", out.spent_txid, short(out.spent_txid)) : '<span class="muted">unspent</span>'}</td></tr>`).join("")
    }</tbody></table>`;
  const contracts = tx.outputs.filter((out) => out.payload.some((item) => item.type === "program"));
  render(`<h1>Transaction <span class="id" id="txid">${esc(tx.id)}</span></h1>
    <p id="verify-status" data-state="running" aria-live="polite">Verifying in your browser…</p>
    <p id="reveal-status" aria-live="polite"></p>
    <div class="card">${kv([
      ["Status", where],
      ["Fee", `<span id="fee">${esc(tx.fee)}</span>`],
      ["Fee rate", esc(feeRate(tx.fee, tx.size))],
      ["Size", `${esc(tx.size)} bytes`],
      ["Version", esc(tx.version)],
      ["Valid from", esc(when(tx.mintime_ms))],
      ["Valid until", tx.maxtime_ms >= 2 ** 53 ? "any time" : esc(when(tx.maxtime_ms))],
    ])}</div>
    <h2>Inputs</h2><div class="card">${inputs}</div>
    <h2>Outputs</h2><div class="card">${outputs}</div>
    ${contracts.length ? `<h2>Contracts created</h2><div class="card">${contracts.map((out) => `<p>${link("contract", out.contract_id)} — predicate <span class="id">${esc(out.predicate)}</span></p>`).join("")}</div>` : ""}
    <h2>Program</h2><pre id="program">${esc(tx.program_asm === null ? `(does not disassemble) ${tx.program_hex}` : tx.program_asm)}</pre>
    <h2>Log</h2><div class="card"><ol id="log">${tx.log.map((e) => `<li>${logHtml(e)}</li>`).join("")}</ol></div>
    <details class="card"><summary>Verify other transaction bytes in your browser</summary>
      <label for="other-hex">Transaction (hex)</label>
      <textarea id="other-hex" spellcheck="false"></textarea>
      <p><button type="button" id="verify-other">Verify</button> <span id="verify-other-status" aria-live="polite"></span></p>
    </details>`);
  const status = document.getElementById("verify-status");
  try {
    showVerification(status, await verifyInBrowser(tx.hex, tx.id));
  } catch (error) {
    status.className = "bad";
    status.dataset.state = "unavailable";
    status.textContent = `In-browser verification is unavailable: ${error.message}`;
  }
  document.getElementById("verify-other").addEventListener("click", async () => {
    const out = document.getElementById("verify-other-status");
    try {
      showVerification(out, await verifyInBrowser(document.getElementById("other-hex").value));
    } catch (error) {
      out.className = "bad";
      out.dataset.state = "unavailable";
      out.textContent = error.message;
    }
  });
  await reveal(tx);
}

// Openings from the URL fragment (`#reveal=o.p.qty.flavor.qblind.fblind,…`,
// made by `zkvm wallet reveal`): the fragment never reaches the node, and
// an amount is shown only once the wasm module has checked it against the
// output's commitments.
async function reveal(tx) {
  const match = /^#reveal=(.+)$/.exec(location.hash);
  if (!match) return;
  const status = document.getElementById("reveal-status");
  const openings = match[1].split(",");
  let v;
  try {
    v = await loadVerifier();
  } catch (error) {
    status.className = "bad";
    status.dataset.state = "unavailable";
    status.textContent = `Cannot check the openings here: ${error.message}`;
    return;
  }
  let good = 0;
  const reasons = [];
  for (const opening of openings) {
    const parts = opening.split(".");
    const [o, p] = [Number(parts[0]), Number(parts[1])];
    const item = parts.length === 6 && tx.outputs[o] && tx.outputs[o].payload[p];
    if (!item || item.type !== "value") {
      reasons.push(`opening ${esc(opening.slice(0, 12))}… names no value of this transaction`);
      continue;
    }
    const result = v.checkOpening(`${item.qty} ${item.flv} ${parts[2]} ${parts[3]} ${parts[4]} ${parts[5]}`);
    const qtyNode = document.getElementById(`out-${o}-${p}-qty`);
    const assetNode = document.getElementById(`out-${o}-${p}-asset`);
    if (!result.ok) {
      reasons.push(`output ${o}: ${result.text}`);
      qtyNode.innerHTML = `${CONFIDENTIAL} <span class="bad">(opening refused)</span>`;
      continue;
    }
    good += 1;
    const [qty, flavor] = result.text.split(" ");
    const native = /^0+$/.test(flavor);
    qtyNode.innerHTML = `<span class="revealed" data-revealed="${esc(qty)}">${esc(qty)}</span>`;
    assetNode.innerHTML = native ? '<span class="revealed">native</span>'
      : `<a class="revealed id" href="/asset/${esc(flavor)}">${esc(short(flavor))}</a>`;
  }
  if (reasons.length === 0) {
    status.className = "ok";
    status.dataset.state = "revealed";
    status.textContent = `✓ ${good} amount${good === 1 ? "" : "s"} revealed, each opening checked in your browser against its commitments`;
  } else {
    status.className = "bad";
    status.dataset.state = "refused";
    status.innerHTML = `✗ ${reasons.length} opening${reasons.length === 1 ? "" : "s"} refused: ${reasons.join("; ")}`;
  }
}

// ---- Contract ----

async function contractPage(id) {
  const c = await getJSON(`/v1/contracts/${encodeURIComponent(id)}`);
  setTitle(`Contract ${short(c.contract_id)}`);
  render(`<h1>Contract <span class="id">${esc(c.contract_id)}</span></h1>
    <div class="card">${kv([
      ["Status", c.unspent ? '<span class="ok" id="contract-status">unspent</span>' : `<span id="contract-status">spent</span> in ${link("tx", c.spent.txid)} (block ${link("block", String(c.spent.height), c.spent.height)})`],
      ["Created by", c.created.txid ? `${link("tx", c.created.txid)} (block ${link("block", String(c.created.height), c.created.height)})` : "the genesis"],
      ["Predicate", `<span class="id">${esc(c.predicate)}</span>`],
      ["Anchor", `<span class="id">${esc(c.anchor)}</span>`],
    ])}</div>
    <h2>Payload</h2><div class="card">${c.payload.map((item, p) => payloadHtml(item, `c-${p}`)).join("") || '<p class="muted">Empty.</p>'}</div>`);
}

// ---- Asset ----

async function assetPage(flavor) {
  const a = await getJSON(`/explorer/api/asset/${encodeURIComponent(flavor)}`);
  setTitle(`Asset ${short(a.flavor)}`);
  const native = /^0+$/.test(a.flavor);
  // Its name: the checked metadata (the genesis's asset section or an
  // issuance record), else printable metadata an issuance committed to.
  const named = a.events.find((e) => e.metadata_text);
  const m = a.metadata;
  const title = native ? "native" : m ? `<span id="asset-name">${esc(m.name)}</span>`
    : named ? esc(named.metadata_text) : `<span class="id">${esc(a.flavor)}</span>`;
  const described = m ? [
    ["Name", esc(m.name)],
    ["Decimals", esc(m.decimals)],
    ["Description", m.description ? esc(m.description) : "—"],
    ["Issuer", `<span class="id">${esc(m.issuer)}</span>`],
  ] : [];
  render(`<h1>Asset ${title}</h1>
    <div class="card">${kv([
      ["Flavor", `<span class="id">${esc(a.flavor)}</span>`],
      ...described,
      ...(a.in_genesis ? [["Created by", "the genesis (its asset section names it)"]] : []),
      ["Flavor commitment", `<span class="id">${esc(a.flavor_commitment)}</span>`],
      ["Blocks read", `${esc(a.scanned_from)} to ${esc(a.scanned_to)}`],
    ])}</div>
    <p class="muted">Issuance logs the flavor in the clear, so issuances are public, with the metadata their programs committed to; their quantities, and retirements of blinded values, are not.</p>
    <h2>Issuances and public retirements</h2>
    <div class="card">${a.events.length === 0 ? `<p class="muted">${native ? "The native asset is created by the genesis only." : a.in_genesis ? "Created by the genesis; none in the blocks read." : "None in the blocks read."}</p>`
      : `<table id="asset-events"><thead><tr><th>Kind</th><th>Transaction</th><th>Block</th><th>Quantity</th><th>Metadata</th></tr></thead><tbody>${
        a.events.map((e) => `<tr><td>${esc(e.kind)}</td><td>${link("tx", e.txid, short(e.txid))}</td><td>${link("block", String(e.height), e.height)}</td><td>${CONFIDENTIAL}</td><td>${
          e.metadata_text ? `<span class="metadata">${esc(e.metadata_text)}</span>` : e.metadata_hex ? `<span class="id">${esc(e.metadata_hex)}</span>` : "—"
        }</td></tr>`).join("")
      }</tbody></table>`}</div>`);
}

// ---- Signers and peers ----

async function networkPage() {
  const n = await getJSON("/explorer/api/network");
  setTitle("Signers and peers");
  render(`<h1>Block signers and peers</h1>
    <div class="card">${kv([
      ["Network", `<span class="id">${esc(n.network)}</span>`],
      ["Block signers' key", `<span class="id" id="signers">${esc(n.signers)}</span>`],
      ["This node", `${n.producer ? "produces blocks" : "follows the chain"} at height ${esc(n.height)}`],
      ["Peer ID", n.peer_id ? `<span class="id">${esc(n.peer_id)}</span>` : "—"],
    ])}</div>
    <h2>Peers (${esc(n.peers.length)})</h2>
    <div class="card">${n.peers.length === 0 ? '<p class="muted">No peers connected.</p>'
      : `<table><thead><tr><th>Peer</th><th>Address</th><th>Height</th><th>Score</th></tr></thead><tbody>${
        n.peers.map((p) => `<tr><td class="id">${esc(short(p.id))}</td><td class="id">${esc(p.address)}</td><td>${esc(p.height === null || p.height === undefined ? "—" : p.height)}</td><td>${esc(p.score)}</td></tr>`).join("")
      }</tbody></table>`}</div>`);
}

// ---- Search ----

async function searchPage(query) {
  setTitle("Search");
  document.getElementById("q").value = query;
  if (!query.trim()) {
    render('<h1>Search</h1><p>Enter a block height, a block ID, a transaction ID or a contract ID (or <code>native</code> for the native asset).</p>');
    return;
  }
  try {
    const found = await getJSON(`/explorer/api/search?q=${encodeURIComponent(query.trim())}`);
    location.replace(found.path);
  } catch (error) {
    render(`<h1>Search</h1><p class="bad" id="error">${esc(error.message)}</p>`);
  }
}

async function route() {
  const path = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (path.length === 0) return await home();
    if (path.length === 2 && path[0] === "block") return await blockPage(path[1]);
    if (path.length === 2 && path[0] === "tx") return await txPage(path[1]);
    if (path.length === 2 && path[0] === "contract") return await contractPage(path[1]);
    if (path.length === 2 && path[0] === "asset") return await assetPage(path[1]);
    if (path.length === 1 && path[0] === "network") return await networkPage();
    if (path.length === 1 && path[0] === "search") {
      return await searchPage(new URLSearchParams(location.search).get("q") || "");
    }
    return failure(Object.assign(new Error("No such page."), { status: 404 }));
  } catch (error) {
    return failure(error);
  } finally {
    // When the page (and its in-browser checks) finished, in ms since
    // navigation began: what the benchmark reads (crates/node/benches/explorer.rs).
    main.dataset.readyMs = performance.now().toFixed(1);
    main.dataset.ready = "true";
  }
}

// For a reader's console, and the benchmark: verify any transaction's hex.
window.explorer = { verify: verifyInBrowser };

route();
