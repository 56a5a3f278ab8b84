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
    // Beyond 150 tags + operations Swagger UI renders only the entries near the viewport (the rest appear while
    // scrolling), so the browser's find-in-page cannot see them: the filter box narrows the list by tag instead.
    filter: true,
    defaultModelsExpandDepth: -1 // the schemas show under each operation; no separate models list
  });
})();
