// Starts Swagger UI on the API's own OpenAPI document (the page's CSP allows no inline script).
// Loaded with `defer`, after the bundle and once the document is parsed.
window.ui = window.SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // No call to the public validator, or to anything but this origin.
  validatorUrl: null,
  // Tokens stay in memory: a reload signs the page out of Swagger UI.
  persistAuthorization: false,
  tryItOutEnabled: false,
  layout: 'BaseLayout',
  presets: [window.SwaggerUIBundle.presets.apis],
});
