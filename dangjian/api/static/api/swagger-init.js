/* Starts the vendored Swagger UI on the API docs page (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  window.ui = SwaggerUIBundle({
    url: node.dataset.openapiUrl,
    domNode: node,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null,          // never call the public validator: schools run closed intranets
    persistAuthorization: false,
    withCredentials: false,
    tryItOutEnabled: false,
    defaultModelsExpandDepth: -1 // the schemas show under each operation; no separate models list
  });
})();
