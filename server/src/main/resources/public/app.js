// dualnet page: draw on the canvas, send it as a PNG with the chosen number to POST /predict,
// show the answer and both probability distributions; show the served model's card and curves.
(function () {
  "use strict";
  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d");
  const numberSelect = document.getElementById("number");
  const status = document.getElementById("status");
  let drawing = false;
  let dirty = false;
  let pending = false;
  let model = null;

  for (let n = 0; n <= 9; n++) {
    const option = document.createElement("option");
    option.value = String(n);
    option.textContent = String(n);
    numberSelect.appendChild(option);
  }

  function clearPad() {
    ctx.clearRect(0, 0, pad.width, pad.height);
    document.getElementById("digit").textContent = "–";
    document.getElementById("sum").textContent = "–";
    document.getElementById("digit-bars").innerHTML = "";
    document.getElementById("sum-bars").innerHTML = "";
    dirty = false;
  }

  function point(event) {
    const rect = pad.getBoundingClientRect();
    const source = event.touches ? event.touches[0] : event;
    return {
      x: (source.clientX - rect.left) * (pad.width / rect.width),
      y: (source.clientY - rect.top) * (pad.height / rect.height),
    };
  }

  function start(event) {
    event.preventDefault();
    drawing = true;
    const p = point(event);
    ctx.lineWidth = 20;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    ctx.lineTo(p.x + 0.1, p.y + 0.1);
    ctx.stroke();
    dirty = true;
  }

  function move(event) {
    if (!drawing) return;
    event.preventDefault();
    const p = point(event);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    dirty = true;
    schedule();
  }

  function end() {
    if (!drawing) return;
    drawing = false;
    schedule();
  }

  function schedule() {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; predict(); }, 120);
  }

  async function predict() {
    if (!dirty) return;
    const png = pad.toDataURL("image/png");
    const body = { image: png, number: Number(numberSelect.value) };
    const url = "/predict" + (model ? "?model=" + encodeURIComponent(model) : "");
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const result = await response.json();
      if (!response.ok) {
        status.textContent = result.error || ("HTTP " + response.status);
        return;
      }
      status.textContent = "";
      document.getElementById("digit").textContent = result.digit;
      document.getElementById("sum").textContent = result.sum;
      bars("digit-bars", result.digit_probabilities, result.digit);
      bars("sum-bars", result.sum_probabilities, result.sum);
    } catch (e) {
      status.textContent = "request failed: " + e;
    }
  }

  function bars(id, probabilities, top) {
    const box = document.getElementById(id);
    box.innerHTML = "";
    probabilities.forEach((p, i) => {
      const label = document.createElement("span");
      label.textContent = i;
      const track = document.createElement("div");
      const bar = document.createElement("div");
      bar.className = "bar" + (i === top ? " top" : "");
      bar.style.width = Math.max(0.5, 100 * p).toFixed(1) + "%";
      track.appendChild(bar);
      const value = document.createElement("span");
      value.textContent = (100 * p).toFixed(1) + "%";
      box.append(label, track, value);
    });
  }

  async function loadCard() {
    const card = document.getElementById("card");
    try {
      const models = await (await fetch("/models")).json();
      const served = models.find((m) => m.dualnet && m.name === "dualnet") || models.find((m) => m.dualnet);
      if (!served) {
        card.textContent = "no dualnet model is ready";
        return;
      }
      model = served.name;
      const response = await fetch("/models/" + encodeURIComponent(served.name) + "/card");
      if (!response.ok) {
        card.textContent = served.name + " (no model card)";
        return;
      }
      const info = await response.json();
      const m = info.finalMetrics || {};
      const pct = (x) => (100 * x).toFixed(2) + "%";
      card.innerHTML = "";
      const table = document.createElement("table");
      [
        ["model", served.name + " v" + served.version + " (" + served.execution_provider + ")"],
        ["preset", info.preset + ", " + info.parameters + " parameters"],
        ["test digit accuracy", pct(m.testDigitAccuracy)],
        ["test sum accuracy", pct(m.testSumAccuracy)],
        ["both right", pct(m.testBothAccuracy)],
        ["epochs", String((info.history || []).length)],
        ["parity", served.parity],
      ].forEach(([k, v]) => {
        const row = table.insertRow();
        row.insertCell().textContent = k;
        row.insertCell().textContent = v;
      });
      card.appendChild(table);
      curves(info.history || []);
    } catch (e) {
      card.textContent = "model card unavailable: " + e;
    }
  }

  function curves(history) {
    const svg = document.getElementById("curves");
    if (history.length === 0) return;
    const w = 360, h = 180, left = 40, bottom = 20;
    const values = history.flatMap((e) => [e.testDigitAccuracy, e.testSumAccuracy, e.testBothAccuracy]);
    const lo = Math.min(...values), hi = Math.max(...values, lo + 1e-6);
    const x = (i) => left + (history.length === 1 ? 0 : (i * (w - left - 10)) / (history.length - 1));
    const y = (v) => 10 + (h - bottom - 10) * (1 - (v - lo) / (hi - lo));
    const series = [["testDigitAccuracy", "#3b82f6"], ["testSumAccuracy", "#f59e0b"], ["testBothAccuracy", "#16a34a"]];
    let out = '<line x1="' + left + '" y1="' + (h - bottom) + '" x2="' + w + '" y2="' + (h - bottom) + '" stroke="#999"/>';
    out += '<text x="2" y="14" font-size="10">' + (100 * hi).toFixed(1) + '%</text>';
    out += '<text x="2" y="' + (h - bottom) + '" font-size="10">' + (100 * lo).toFixed(1) + '%</text>';
    series.forEach(([key, colour]) => {
      const points = history.map((e, i) => x(i).toFixed(1) + "," + y(e[key]).toFixed(1)).join(" ");
      out += '<polyline fill="none" stroke="' + colour + '" stroke-width="2" points="' + points + '"/>';
    });
    out += '<text x="' + left + '" y="' + (h - 4) + '" font-size="10">epoch 1 … ' + history.length +
      ' — blue digit, amber sum, green both</text>';
    svg.innerHTML = out;
  }

  pad.addEventListener("mousedown", start);
  pad.addEventListener("mousemove", move);
  window.addEventListener("mouseup", end);
  pad.addEventListener("touchstart", start, { passive: false });
  pad.addEventListener("touchmove", move, { passive: false });
  pad.addEventListener("touchend", end);
  numberSelect.addEventListener("change", predict);
  document.getElementById("clear").addEventListener("click", clearPad);
  clearPad();
  loadCard();
})();
