/**
 * The API reference page, GET /api/docs: Swagger UI from swagger-ui-dist, served by the
 * gateway itself (no CDN: it works on a closed network) and reading GET /api/openapi.json.
 * Only the files the page needs are served, under a Content-Security-Policy that allows
 * nothing from elsewhere and no inline script.
 */
import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import ApiGateway from "moleculer-web";

// The page and its initializer sit beside this file (npm run build copies them into dist/).
const OWN_DIR = path.join(__dirname, "docs");
// Found by path, not imported: the package's main module loads the whole Swagger UI bundle into
// the gateway (0.45 s and 40 MB on every start) only to answer where its own files are.
const SWAGGER_DIR = path.dirname(require.resolve("swagger-ui-dist/package.json"));

const FILES: Record<string, { dir: string; type: string }> = {
	"index.html": { dir: OWN_DIR, type: "text/html; charset=utf-8" },
	"init.js": { dir: OWN_DIR, type: "text/javascript; charset=utf-8" },
	"swagger-ui.css": { dir: SWAGGER_DIR, type: "text/css; charset=utf-8" },
	"swagger-ui-bundle.js": { dir: SWAGGER_DIR, type: "text/javascript; charset=utf-8" },
	"favicon-32x32.png": { dir: SWAGGER_DIR, type: "image/png" }
};

/** Scripts and styles from the gateway only; Swagger UI sets inline styles and shows data: images. */
export const DOCS_CSP =
	"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

type Next = (err?: unknown) => void;

function send(res: ServerResponse, name: string, next: Next): void {
	// Own keys only: `constructor` or `__proto__` would find Object.prototype's, and fail as a 500.
	const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
	if (!file) return next(new ApiGateway.Errors.NotFoundError("NOT_FOUND", { file: name }));
	res.setHeader("Content-Type", file.type);
	res.setHeader("Content-Security-Policy", DOCS_CSP);
	res.setHeader("Cache-Control", name === "index.html" ? "no-cache" : "public, max-age=3600");
	const stream = createReadStream(path.join(file.dir, name));
	stream.once("error", next);
	stream.pipe(res);
}

/** GET /api/docs: the page. */
export function docsPage(_req: IncomingMessage, res: ServerResponse, next: Next): void {
	send(res, "index.html", next);
}

/** GET /api/docs/:file: its scripts, styles and icon. */
export function docsAsset(req: IncomingMessage & { $params?: Record<string, unknown> }, res: ServerResponse, next: Next): void {
	send(res, String(req.$params?.file ?? ""), next);
}
