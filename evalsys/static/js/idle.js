// Warn five minutes before the server-side idle timeout ends the session (no data is sent anywhere).
(function () {
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var box = document.getElementById("idle-warning");
  if (!idle || !box) { return; }
  var warnAfter = Math.max(idle - 300, 30) * 1000;
  window.setTimeout(function () { box.classList.remove("d-none"); }, warnAfter);
})();
