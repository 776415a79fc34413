/** The baseline: Node's http answering a small JSON body, nothing else. PORT from the environment. */
import http from "node:http";

const body = JSON.stringify({ id: "00000000-0000-4000-8000-000000000000", name: "Ada Lovelace" });
http.createServer((_req, res) => {
	res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
	res.end(body);
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("ready"));
