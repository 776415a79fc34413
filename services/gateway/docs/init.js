// A file rather than an inline script: the page's Content-Security-Policy allows scripts from
// the gateway only. The token given under "Authorize" is kept across reloads.
window.onload = function () {
	window.ui = SwaggerUIBundle({
		url: "/api/openapi.json",
		dom_id: "#swagger-ui",
		deepLinking: true,
		persistAuthorization: true,
		presets: [SwaggerUIBundle.presets.apis],
		layout: "BaseLayout"
	});
};
