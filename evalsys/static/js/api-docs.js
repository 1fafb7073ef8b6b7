/* The API reference page (/api/v1/docs): Swagger UI from the local bundle, reading the generated document.
   No deep links: they put a link inside each operation's button (a nested control a keyboard cannot reach). */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false,
    onComplete: function () {
      // Swagger UI wraps the server choice in an empty <label>: give the select its name.
      var servers = document.getElementById("servers");
      if (servers && !servers.getAttribute("aria-label")) { servers.setAttribute("aria-label", "Servers"); }
    }
  });
}());
