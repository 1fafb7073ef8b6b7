// Batch issuing: poll the round's progress endpoint and update the bar; reload once the job has
// ended so the page shows the server's summary (done and failed items). Without JavaScript the page
// refreshes itself (a meta refresh inside <noscript>).
(function () {
  var box = document.getElementById("batch-progress");
  if (!box || box.getAttribute("data-live") !== "yes") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  function set(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = String(value); }
  }
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { window.setTimeout(poll, 5000); return; }
      var p;
      try { p = JSON.parse(xhr.responseText); } catch (e) { window.setTimeout(poll, 5000); return; }
      if (p.job === null) { return; }
      var handled = p.total - p.pending;
      if (bar) { bar.max = p.total || 1; bar.value = handled; bar.textContent = p.percent + "%"; }
      set("handled", handled); set("total", p.total); set("percent", p.percent);
      set("done", p.done); set("failed", p.failed); set("state_label", p.state_label);
      if (p.finished || p.interrupted) { window.location.reload(); return; }
      window.setTimeout(poll, 1500);
    };
    xhr.onerror = function () { window.setTimeout(poll, 5000); };
    xhr.send();
  }
  window.setTimeout(poll, 1000);
})();
